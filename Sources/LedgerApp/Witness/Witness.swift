import Foundation
import LedgerCore
import LedgerCrypto

#if canImport(Glibc)
    import Glibc
#endif

/// A witness kept in files: its key, the logs it witnesses, and for each the size and root it last cosigned.
///
/// It cosigns a checkpoint only if it extends what it cosigned before, so it never cosigns two inconsistent
/// checkpoints, even when asked twice at once (an exclusive lock covers check and update).
public struct Witness: Sendable {
    /// The witness's folder: `witness.pem` (the private key, 0600), `witness.json` (name, logs, state), and
    /// `witness.lock`.
    public let directory: String

    /// The witness kept in `directory`; nothing is read until it is used.
    public init(directory: String) { self.directory = directory }

    var keyPath: String { directory + "/witness.pem" }
    var statePath: String { directory + "/witness.json" }

    /// Creates the witness: a new key and an empty state.
    ///
    /// Returns its vkey.
    public func initialize(name: String, passphrase: String?) throws -> String {
        guard NoteVerifierKey.isValidName(name) else {
            throw LedgerError.usage("the witness name must be non-empty, without spaces or '+'")
        }
        guard !FileManager.default.fileExists(atPath: statePath) else {
            throw LedgerError.usage("\(directory) already holds a witness; it is never overwritten")
        }
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw LedgerError.usage("cannot create \(directory): \(error.localizedDescription)")
        }
        let key = Ed25519PrivateKey.generate()
        do { try key.write(toNewFile: keyPath, passphrase: passphrase) } catch { throw LedgerError.from(error) }
        let cosigner = try CosignerKey(name: name, publicKey: key.publicKey)
        try save(State(name: name, vkey: cosigner.vkey, logs: [:]))
        return cosigner.vkey
    }

    /// Adds a log the witness will cosign for.
    public func addLog(origin: String, vkey: String) throws {
        let logKey: NoteVerifierKey
        do { logKey = try NoteVerifierKey(vkey: vkey) } catch { throw LedgerError.usage("the log's vkey: \(error)") }
        guard logKey.name.hasSameBytes(as: origin) else {
            throw LedgerError.usage("the log key's name \"\(logKey.name)\" is not the origin \"\(origin)\"")
        }
        try locked {
            var state = try load()
            if let known = state.logs[origin] {
                guard known.vkey == vkey else {
                    throw LedgerError.conflict("\(origin) is already witnessed with another key (\(known.vkey))")
                }
                return
            }
            state.logs[origin] = LogState(vkey: vkey, size: nil, root: nil)
            try save(state)
        }
    }

    /// Checks a checkpoint and, when it extends the last one cosigned for its log, records it and returns the
    /// cosignature line; refuses with the reason otherwise.
    ///
    /// - Parameter consistency: the RFC 9162 consistency proof from the last cosigned size (none for the first).
    public func cosign(
        checkpointNote: String, consistency: [[UInt8]], passphrase: String?,
        now: UInt64 = UInt64(Date().timeIntervalSince1970)
    ) throws -> String {
        let signed: SignedCheckpoint
        do { signed = try SignedCheckpoint(noteText: checkpointNote) } catch {
            throw LedgerError.usage("the checkpoint is malformed: \(error)")
        }
        let checkpoint = signed.checkpoint
        let key: Ed25519PrivateKey
        do { key = try Ed25519PrivateKey(contentsOfFile: keyPath, passphrase: passphrase) } catch {
            throw LedgerError.usage("\(keyPath): \(error)")
        }
        return try locked {
            var state = try load()
            guard let log = state.logs[checkpoint.origin] else {
                throw LedgerError.conflict(
                    "refused: this witness does not witness \(checkpoint.origin) (`witness add-log`)")
            }
            let logKey = try NoteVerifierKey(vkey: log.vkey)
            guard signed.note.isSigned(by: logKey) else {
                throw LedgerError.conflict(
                    "refused: the checkpoint is not signed by the configured log key \(log.vkey)")
            }
            if let size = log.size, let root = log.root {
                if checkpoint.size < size {
                    throw LedgerError.conflict(
                        "refused: the checkpoint's tree (\(checkpoint.size)) is shorter than the one cosigned before (\(size))"
                    )
                }
                if checkpoint.size == size {
                    guard checkpoint.root == root else {
                        throw LedgerError.conflict(
                            "refused: a different root for size \(size) than the one cosigned before: history was rewritten"
                        )
                    }
                } else {
                    guard
                        MerkleProof.verifyConsistency(
                            old: size, new: checkpoint.size, oldRoot: root, newRoot: checkpoint.root, proof: consistency
                        )
                    else {
                        throw LedgerError.conflict(
                            "refused: the consistency proof from size \(size) to \(checkpoint.size) does not verify: the new checkpoint does not extend the one cosigned before"
                        )
                    }
                }
            } else if !consistency.isEmpty {
                throw LedgerError.usage("the first checkpoint of a log needs no consistency proof")
            }
            let line = try Cosignature.line(
                checkpointBody: signed.note.text, timestamp: now, key: key, name: state.name)
            state.logs[checkpoint.origin] = LogState(vkey: log.vkey, size: checkpoint.size, root: checkpoint.root)
            try save(state)
            return line
        }
    }

    // MARK: State

    struct LogState {
        var vkey: String
        var size: Int64?
        var root: [UInt8]?
    }

    struct State {
        var name: String
        var vkey: String
        var logs: [String: LogState]

        var json: JSONValue {
            .object([
                JSONMember(
                    "logs",
                    .object(
                        logs.map { origin, log in
                            var members = [JSONMember("vkey", .string(log.vkey))]
                            if let size = log.size { members.append(JSONMember("size", .integer(size))) }
                            if let root = log.root { members.append(JSONMember("root", .string(Base64.encode(root)))) }
                            return JSONMember(origin, .object(members))
                        })),
                JSONMember("name", .string(name)), JSONMember("vkey", .string(vkey)),
            ])
        }
    }

    func load() throws -> State {
        guard let data = FileManager.default.contents(atPath: statePath) else {
            throw LedgerError.usage("no witness in \(directory) (create one with `ledger witness init`)")
        }
        let json: JSONValue
        do { json = try JSONParser.parse([UInt8](data), profile: .ledgerV1) } catch {
            throw LedgerError.usage("\(statePath) is damaged: \(error)")
        }
        guard let name = json.member("name")?.stringValue, let vkey = json.member("vkey")?.stringValue else {
            throw LedgerError.usage("\(statePath) is damaged")
        }
        var logs: [String: LogState] = [:]
        for member in json.member("logs")?.objectMembers ?? [] {
            guard let logKey = member.value.member("vkey")?.stringValue else {
                throw LedgerError.usage("\(statePath) is damaged")
            }
            logs[member.name] = LogState(
                vkey: logKey, size: member.value.member("size")?.integerValue,
                root: member.value.member("root")?.stringValue.flatMap(Base64.decodeCanonical))
        }
        return State(name: name, vkey: vkey, logs: logs)
    }

    /// Writes the state durably: a new file, fsync, then an atomic rename over the old one.
    func save(_ state: State) throws {
        try DurableFiles.replace(statePath, with: JCS.serialize(state.json) + [0x0a], mode: 0o600)
    }

    /// Runs `body` holding the witness's exclusive lock (other processes wait).
    func locked<T>(_ body: () throws -> T) throws -> T {
        let descriptor = Glibc.open(directory + "/witness.lock", O_RDWR | O_CREAT, 0o600)
        guard descriptor >= 0 else { throw LedgerError.usage("cannot open the witness lock in \(directory)") }
        defer { Glibc.close(descriptor) }
        guard flock(descriptor, LOCK_EX) == 0 else { throw LedgerError.usage("cannot lock the witness") }
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }
}
