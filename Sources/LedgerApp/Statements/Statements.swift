import CustodyDomain
import Foundation
import LedgerCore
import LedgerCrypto

/// What a signer must know of a stream to sign a statement on it without the ledger (FORMAT.md §12.2).
///
/// The ledger's origin and genesis, and the stream's last revision and statement hash. `ledger head` prints it as
/// JSON; `ledger sign --head FILE` reads it.
public struct StreamPosition: Sendable, Equatable {
    /// The ledger's origin.
    public var ledger: String
    /// Hex of the body hash of the ledger's seq 1.
    public var genesis: String
    /// The stream.
    public var stream: String
    /// Its last revision (0: no entry yet).
    public var rev: Int64
    /// Hex of its last statement's hash (64 zeros when `rev` is 0).
    public var prev: String

    /// A position from its parts.
    public init(ledger: String, genesis: String, stream: String, rev: Int64, prev: String) {
        self.ledger = ledger
        self.genesis = genesis
        self.stream = stream
        self.rev = rev
        self.prev = prev
    }

    /// The position of `stream` in the version-2 ledger `store`.
    public static func of(_ stream: String, in store: any LedgerStore) throws -> StreamPosition {
        guard Identifiers.isStreamName(stream) else {
            throw LedgerError.usage("stream \"\(stream)\" must match [A-Za-z0-9._/-]{1,128}")
        }
        // A name no event type may be recorded in would show revision 0 forever: most often an item's id without
        // its `item/`.
        guard TypeTable.custody.allowsSomeType(inStream: stream, version: EntryBody.statementVersion) else {
            let suggestion =
                TypeTable.custody.allowsSomeType(inStream: "item/" + stream, version: EntryBody.statementVersion)
                ? "; did you mean item/\(stream)?" : ""
            throw LedgerError.usage(
                "no event is recorded in a stream named \"\(stream)\" (streams: item/ID, case/ID, target/ID, key/ and"
                    + " the key's whole 64-hex key id, and ledger)\(suggestion)")
        }
        do {
            return try store.read { reader in
                guard let origin = try reader.meta("origin") else { throw LedgerError.usage("the ledger is empty") }
                guard let genesis = try LedgerFacts.genesis(reader), genesis.body.isStatement else {
                    throw LedgerError.usage(
                        "this ledger is of format version 1: its entries are signed at the ledger, not as statements")
                }
                let head = try reader.streamHead(stream)
                return StreamPosition(
                    ledger: origin, genesis: genesis.bodyHashHex, stream: stream, rev: head?.rev ?? 0,
                    prev: head?.link ?? EntryBody.zeroHash)
            }
        } catch {
            throw LedgerError.from(error)
        }
    }

    /// The position as JSON: `ledger`, `genesis`, `stream`, `rev`, `prev`.
    public var json: JSONValue {
        .object([
            JSONMember("genesis", .string(genesis)), JSONMember("ledger", .string(ledger)),
            JSONMember("prev", .string(prev)), JSONMember("rev", .integer(rev)), JSONMember("stream", .string(stream)),
        ])
    }

    /// Reads the JSON `ledger head` prints (or the `head` member of `ledger item show --json`).
    public init(json value: JSONValue) throws(LedgerError) {
        let json = value.member("head") ?? value
        guard let ledger = json.member("ledger")?.stringValue, Identifiers.isOrigin(ledger),
            let genesis = json.member("genesis")?.stringValue, Hex.isCanonical(genesis, byteCount: 32),
            let stream = json.member("stream")?.stringValue, Identifiers.isStreamName(stream),
            let rev = json.member("rev")?.integerValue, rev >= 0,
            let prev = json.member("prev")?.stringValue, Hex.isCanonical(prev, byteCount: 32)
        else {
            throw .usage(
                "a stream position is {\"ledger\",\"genesis\",\"stream\",\"rev\",\"prev\"} as `ledger head STREAM --json` prints it"
            )
        }
        self.init(ledger: ledger, genesis: genesis, stream: stream, rev: rev, prev: prev)
    }
}

/// Signing statements without the ledger, and the statement files that carry them (FORMAT.md §12.9).
public enum StatementSigning {
    /// Builds and signs one statement at `position`: its next revision, by `signer`, signed now by `clock`.
    ///
    /// - Parameter lifetime: how long it may wait to be sequenced, in milliseconds (default 24 hours, at most 30
    ///   days).
    public static func sign(
        at position: StreamPosition, type: String, data: JSONValue, signer: Ed25519PrivateKey, id: String? = nil,
        anchor: StatementAnchor? = nil, lifetime: Int64 = StatementRules.defaultLifetimeMilliseconds,
        clock: any LedgerClock = SystemClock()
    ) throws(LedgerError) -> SignedStatement {
        guard data.objectMembers != nil else { throw .usage("data must be a JSON object") }
        guard lifetime > 0, lifetime <= StatementRules.maxLifetimeMilliseconds else {
            throw .usage("a statement may wait at most 30 days to be recorded")
        }
        if let id, !Identifiers.isUUIDv4(id) { throw .usage("id \(id) is not a lowercase UUID version 4") }
        guard TypeTable.custody.rule(type, version: EntryBody.statementVersion) != nil else {
            throw .usage("unknown event type \"\(type)\" (see `ledger types`)")
        }
        let signedAt = clock.now()
        let expires = LedgerTime.format(millisecondsSince1970: (LedgerTime.milliseconds(signedAt) ?? 0) + lifetime)
        var body = EntryBody(
            ledger: position.ledger, seq: 2, prev: EntryBody.zeroHash, stream: position.stream,
            streamRev: position.rev + 1, streamPrev: position.prev, id: id ?? SecureRandom.uuidV4(),
            time: signedAt, type: type, actor: KeyID.of(signer.publicKey), data: data,
            version: EntryBody.statementVersion, genesis: position.genesis, signedAt: signedAt, expires: expires)
        body.anchor = anchor
        var statement = SignedStatement(statement: body, sigs: [])
        statement.add(EntrySignature(key: body.actor, signature: signer.sign(statement.actorMessage)))
        return statement
    }

    /// A co-signer's signature on `statement` (a witnessing officer), made now by `clock`: only a key the statement
    /// names as its co-signer may add one.
    public static func cosign(
        _ statement: SignedStatement, signer: Ed25519PrivateKey, clock: any LedgerClock = SystemClock()
    ) throws(LedgerError) -> SignedStatement {
        let keyID = KeyID.of(signer.publicKey)
        guard let rule = TypeTable.custody.rule(statement.body.type, version: statement.body.version),
            case .dataKey(let member) = rule.coSigner,
            statement.body.data.member(member)?.stringValue == keyID
        else {
            throw .usage(
                "this statement (\(statement.body.type)) does not name your key \(keyID.prefix(12))… as its co-signer")
        }
        let signedAt = clock.now()
        var signed = statement
        let message = SigningMessage.coSignature(statementHash: statement.statementHash, signedAt: signedAt)
        signed.add(EntrySignature(key: keyID, signature: signer.sign(message), signedAt: signedAt))
        return signed
    }

    /// The anchor of a checkpoint file the signer verified (FORMAT.md §12.2): its size and root, for the ledger
    /// `position` is in.
    public static func anchor(checkpointText: String, for position: StreamPosition) throws(LedgerError)
        -> StatementAnchor
    {
        let checkpoint: SignedCheckpoint
        do { checkpoint = try SignedCheckpoint(noteText: checkpointText) } catch {
            throw .usage("the anchor is not a checkpoint: \(error)")
        }
        guard checkpoint.checkpoint.origin.hasSameBytes(as: position.ledger), checkpoint.checkpoint.size >= 1 else {
            throw .usage("the anchor is a checkpoint of \(checkpoint.checkpoint.origin), not of \(position.ledger)")
        }
        return StatementAnchor(size: checkpoint.checkpoint.size, root: Hex.encode(checkpoint.checkpoint.root))
    }

    /// The statements of a statement file: one canonical signed statement per line, each ending in a newline.
    public static func read(file bytes: [UInt8], name: String) throws(LedgerError) -> [SignedStatement] {
        guard !bytes.isEmpty else { return [] }
        guard bytes.last == 0x0a else { throw .usage("\(name): the last line does not end in a newline") }
        var statements: [SignedStatement] = []
        for (index, line) in bytes.dropLast().split(separator: 0x0a, omittingEmptySubsequences: false).enumerated() {
            do { statements.append(try SignedStatement(line: Array(line))) } catch {
                throw .usage("\(name) line \(index + 1): \(error)")
            }
        }
        return statements
    }

    /// A statement file's bytes.
    public static func file(_ statements: [SignedStatement]) -> [UInt8] {
        Array(statements.map { $0.line + [0x0a] }.joined())
    }

    /// The position after `statements` on `position`'s stream: a signer who signs several in a row chains each onto
    /// the last (FORMAT.md §12.2: `stream_prev` is a statement hash, known before anything is recorded).
    public static func position(after statements: [SignedStatement], from position: StreamPosition) -> StreamPosition {
        var next = position
        for statement in statements where statement.body.stream.hasSameBytes(as: position.stream) {
            if statement.body.streamRev > next.rev {
                next.rev = statement.body.streamRev
                next.prev = statement.statementHashHex
            }
        }
        return next
    }

    /// A plain summary of what a statement says, for a co-signer to read before signing.
    public static func summary(_ statement: SignedStatement, keyNames: [String: String] = [:]) -> [String] {
        let body = statement.body
        let actor = keyNames[body.actor].map { "\($0) (\(body.actor.prefix(12))…)" } ?? "\(body.actor.prefix(12))…"
        var lines = [
            "\(body.type) in \(body.stream) (revision \(body.streamRev)), by \(actor)",
            "signed at \(body.signedAt); may be recorded until \(body.expires)",
            "ledger \(body.ledger), id \(body.id)",
        ]
        for member in body.data.objectMembers ?? [] {
            let value: String =
                if let text = member.value.stringValue { text } else {
                    String(decoding: JCS.serialize(member.value), as: UTF8.self)
                }
            lines.append("  \(member.name): \(value)")
        }
        for sig in statement.sigs {
            lines.append("signature by \(sig.key.prefix(12))…\(sig.signedAt.map { " at \($0)" } ?? "")")
        }
        return lines
    }

    /// A receipt for the entry at `seq` (FORMAT.md §12.9): its inclusion proof against the checkpoint of `size`
    /// (nil: the smallest stored one that covers it, its commit group's, so that asking again gives the same
    /// receipt), with the record's bytes in the `extra` line.
    public static func receipt(seq: Int64, size: Int64?, in store: any LedgerStore) throws -> TlogProof {
        try receipts([(seq, size)], in: store)[0]
    }

    /// Receipts for several entries (a server's answer to one request) from one read of the ledger.
    public static func receipts(_ entries: [(seq: Int64, size: Int64?)], in store: any LedgerStore) throws
        -> [TlogProof]
    {
        do {
            return try store.read { reader in
                var checkpoints = ProofBuilder.CheckpointCache()
                return try entries.map { entry in
                    let (proof, record) = try ProofBuilder.inclusion(
                        seq: entry.seq, against: entry.size.map { .size($0) } ?? .smallestCovering(entry.seq),
                        in: reader, checkpoints: &checkpoints)
                    return TlogProof(
                        index: proof.index, hashes: proof.hashes, extra: record, checkpoint: proof.checkpoint)
                }
            }
        } catch {
            throw LedgerError.from(error)
        }
    }
}
