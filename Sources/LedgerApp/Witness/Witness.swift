import Foundation
import LedgerCore
import LedgerCrypto

#if canImport(Glibc)
    import Glibc
#endif

/// Why a witness refused a checkpoint; the kind fixes the C2SP tlog-witness status (docs/API.md).
public struct WitnessRefusal: Error, Sendable, CustomStringConvertible {
    /// Which check failed.
    public enum Kind: Sendable, Equatable {
        /// The request or checkpoint is malformed, or the old size exceeds the checkpoint's (400).
        case malformed
        /// The witness does not witness the checkpoint's origin (404).
        case unknownLog
        /// No signature by the log's configured key verifies (403).
        case signature
        /// The old size is not the size last cosigned, which it carries, or the same size has another root (409).
        case sizeMismatch(Int64)
        /// The consistency proof does not verify (422).
        case badProof
    }

    /// Which check failed.
    public let kind: Kind
    /// What failed, in words.
    public let description: String

    init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}

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
    /// cosignature line; refuses with the reason otherwise (`ledger witness cosign`).
    ///
    /// - Parameter consistency: the RFC 9162 consistency proof from the last cosigned size (none for the first).
    public func cosign(
        checkpointNote: String, consistency: [[UInt8]], passphrase: String?,
        now: UInt64 = UInt64(Date().timeIntervalSince1970)
    ) throws -> String {
        do {
            return try addCheckpoint(
                oldSize: nil, consistency: consistency, checkpointNote: checkpointNote, passphrase: passphrase, now: now
            )
        } catch let refusal as WitnessRefusal {
            switch refusal.kind {
            case .malformed: throw LedgerError.usage(refusal.description)
            default: throw LedgerError.conflict("refused: " + refusal.description)
            }
        }
    }

    /// The C2SP tlog-witness `add-checkpoint` step: checks the checkpoint against the log's configured key, that
    /// `oldSize` is the size last cosigned for the log (nil: whatever it is), and the consistency proof from it;
    /// then records the checkpoint and returns the cosignature line, all under the witness's lock so that two
    /// requests can never roll its state back.
    ///
    /// Throws a ``WitnessRefusal`` whose kind says which check failed (and so which HTTP status a server answers).
    public func addCheckpoint(
        oldSize: Int64?, consistency: [[UInt8]], checkpointNote: String, passphrase: String?,
        now: UInt64 = UInt64(Date().timeIntervalSince1970)
    ) throws -> String {
        let signed: SignedCheckpoint
        do { signed = try SignedCheckpoint(noteText: checkpointNote) } catch {
            throw WitnessRefusal(.malformed, "the checkpoint is malformed: \(error)")
        }
        let checkpoint = signed.checkpoint
        if let oldSize, oldSize > checkpoint.size {
            throw WitnessRefusal(
                .malformed, "the old size \(oldSize) is larger than the checkpoint's \(checkpoint.size)")
        }
        let key: Ed25519PrivateKey
        do { key = try Ed25519PrivateKey(contentsOfFile: keyPath, passphrase: passphrase) } catch {
            throw LedgerError.usage("\(keyPath): \(error)")
        }
        return try locked {
            var state = try load()
            guard let log = state.logs[checkpoint.origin] else {
                throw WitnessRefusal(
                    .unknownLog, "this witness does not witness \(checkpoint.origin) (`witness add-log`)")
            }
            let logKey = try NoteVerifierKey(vkey: log.vkey)
            guard signed.note.isSigned(by: logKey) else {
                throw WitnessRefusal(.signature, "the checkpoint is not signed by the configured log key \(log.vkey)")
            }
            let cosigned = log.size ?? 0
            if let oldSize, oldSize != cosigned {
                throw WitnessRefusal(
                    .sizeMismatch(cosigned),
                    "the old size \(oldSize) is not the size last cosigned for \(checkpoint.origin) (\(cosigned))")
            }
            if let size = log.size, let root = log.root {
                if checkpoint.size < size {
                    throw WitnessRefusal(
                        .sizeMismatch(size),
                        "the checkpoint's tree (\(checkpoint.size)) is shorter than the one cosigned before (\(size))")
                }
                if checkpoint.size == size {
                    guard checkpoint.root == root else {
                        throw WitnessRefusal(
                            .sizeMismatch(size),
                            "a different root for size \(size) than the one cosigned before: history was rewritten")
                    }
                } else {
                    guard
                        MerkleProof.verifyConsistency(
                            old: size, new: checkpoint.size, oldRoot: root, newRoot: checkpoint.root, proof: consistency
                        )
                    else {
                        throw WitnessRefusal(
                            .badProof,
                            "the consistency proof from size \(size) to \(checkpoint.size) does not verify: the new"
                                + " checkpoint does not extend the one cosigned before")
                    }
                }
            } else if !consistency.isEmpty {
                throw WitnessRefusal(.malformed, "the first checkpoint of a log needs no consistency proof")
            }
            let line = try Cosignature.line(
                checkpointBody: signed.note.text, timestamp: now, key: key, name: state.name)
            state.logs[checkpoint.origin] = LogState(vkey: log.vkey, size: checkpoint.size, root: checkpoint.root)
            try save(state)
            return line
        }
    }

    /// The witness's name and vkey.
    public func identity() throws -> (name: String, vkey: String) {
        let state = try load()
        return (state.name, state.vkey)
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
