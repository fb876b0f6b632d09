import Foundation
import LedgerCore
import LedgerCrypto

/// Rotating a version-2 ledger's log key (FORMAT.md §12.10): a new log key, authorized by the one in force and
/// holding itself, named by an admin-signed `ledger.log-key-rotated`; checkpoints from that entry on are signed by it.
public enum LogKeyRotation {
    /// What a rotation did.
    public struct Result: Sendable {
        /// The seq of the `ledger.log-key-rotated` entry.
        public let seq: Int64
        /// The new log key's vkey.
        public let vkey: String
        /// Where the new log key was written.
        public let path: String
    }

    /// Writes a new log key to `newKeyPath` and records its rotation, signed by `admin`.
    ///
    /// The key file is mode 0600 and never overwritten; the rotation is one commit group whose checkpoint the new
    /// key signs, and the ledger then finds its log key there. The key in force is the one the ledger names (its
    /// file, or `$LEDGER_LOG_KEY`). On any failure the new file is removed and nothing is recorded.
    public static func rotate(
        store: any LedgerStore, admin: Ed25519PrivateKey, newKeyPath: String, passphrase: String?
    ) throws -> Result {
        guard !FileManager.default.fileExists(atPath: newKeyPath) else {
            throw LedgerError.usage("\(newKeyPath) already exists; key files are never overwritten")
        }
        let (origin, old) = try store.read { reader -> (String, Ed25519PrivateKey) in
            guard let origin = try reader.meta("origin") else { throw LedgerError.usage("the ledger is empty") }
            let format = try LedgerFormat.of(reader)
            guard format.isStatements, let old = format.logKey else {
                throw LedgerError.usage("the log key of a format-1 ledger cannot be rotated")
            }
            return (origin, old)
        }
        let position = try StreamPosition.of("ledger", in: store)
        let new = Ed25519PrivateKey.generate()
        let vkey = try NoteVerifierKey(name: origin, publicKey: new.publicKey)
        let message = SigningMessage.logKeyRotation(genesis: position.genesis, newVKey: vkey.vkey)
        let data: JSONValue = .object([
            JSONMember("log_vkey", .string(vkey.vkey)),
            JSONMember("new_key_sig", .string(Base64.encode(new.sign(message)))),
            JSONMember("old_key_sig", .string(Base64.encode(old.sign(message)))),
        ])
        let statement = try StatementSigning.sign(
            at: position, type: EventTypes.logKeyRotated, data: data, signer: admin)
        do { try new.write(toNewFile: newKeyPath, passphrase: passphrase) } catch { throw LedgerError.from(error) }
        let path = URL(fileURLWithPath: newKeyPath).standardizedFileURL.path
        do {
            let outcome = try Sequencer.submit([statement], to: store, rotation: (new, path))[0]
            switch outcome.status {
            case .recorded(let seq): return Result(seq: seq, vkey: vkey.vkey, path: newKeyPath)
            case .alreadyRecorded(let seq): return Result(seq: seq, vkey: vkey.vkey, path: newKeyPath)
            case .refused(let error): throw error
            }
        } catch {
            try? FileManager.default.removeItem(atPath: newKeyPath)
            throw LedgerError.from(error)
        }
    }
}
