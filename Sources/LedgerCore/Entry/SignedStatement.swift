import LedgerCrypto

/// A version-2 statement with the signatures made on it so far: one line of a statement file (FORMAT.md §12.9),
/// which `ledger sign` writes, `ledger cosign` adds to and `ledger submit` sequences.
///
/// The statement is held as a version-2 ``EntryBody`` whose ledger-added members (`seq`, `prev`, `time`) are not yet
/// set; ``entry(seq:prev:time:)`` places it.
public struct SignedStatement: Sendable {
    /// The statement's fields (what the signers signed).
    public let body: EntryBody
    /// The signatures so far, sorted by key id.
    public private(set) var sigs: [EntrySignature]
    /// SHA-256(JCS(statement)).
    public let statementHash: [UInt8]

    /// JCS(statement).
    private let statementBytes: [UInt8]

    /// A statement and its signatures; `body` must be a version-2 body.
    public init(statement body: EntryBody, sigs: [EntrySignature]) {
        self.body = body
        self.sigs = sigs.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        statementBytes = body.statementCanonicalBytes
        statementHash = SHA256.hash(statementBytes)
    }

    /// Hex of the statement hash: what the stream's next statement names in `stream_prev`.
    public var statementHashHex: String { Hex.encode(statementHash) }

    /// The message the actor signs.
    public var actorMessage: [UInt8] { SigningMessage.statement(hash: statementHash) }

    /// The message `signature`'s key must have signed (FORMAT.md §12.4), or nil when it is no possible signer: the
    /// actor's statement message, a registered key's request, a co-signer named in the data (per `table`) over the
    /// co-signature message with its own time.
    public func message(for signature: EntrySignature, table: TypeTable) -> [UInt8]? {
        body.signedMessage(for: signature, table: table, actorMessage: actorMessage) { signedAt in
            signedAt.map { SigningMessage.coSignature(statementHash: statementHash, signedAt: $0) }
        }
    }

    /// Adds (or replaces) one signer's signature.
    public mutating func add(_ signature: EntrySignature) {
        sigs.removeAll { $0.key.hasSameBytes(as: signature.key) }
        sigs.append(signature)
        sigs.sort { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
    }

    /// The line's bytes: JCS({"sigs": sigs, "statement": statement}), without the newline.
    public var line: [UInt8] {
        JCS.serialize(
            .object([JSONMember("sigs", .array(sigs.map(\.json))), JSONMember("statement", body.statementJSON)]))
    }

    /// The entry the ledger makes of it at `seq`, after the entry whose body hash is `prev`, recorded at `time`.
    public func entry(seq: Int64, prev: String, time: String) -> Entry {
        var placed = body
        placed.seq = seq
        placed.prev = prev
        placed.time = time
        return Entry(body: placed, sigs: sigs, statementBytes: statementBytes, statementHash: statementHash)
    }

    /// Parses one line of a statement file: canonical JSON, exactly `sigs` and `statement`, the statement's members,
    /// types and patterns as FORMAT.md §12.2 fixes them, signature elements as §12.4.
    public init(line: [UInt8]) throws(EntryFormatError) {
        guard line.count <= Entry.maxStatementRecordBytes else {
            throw .init("the statement is \(line.count) bytes, over the limit of \(Entry.maxStatementRecordBytes)")
        }
        let json: JSONValue
        do { json = try JSONParser.parse(line, profile: .ledgerV1) } catch {
            throw .init("not valid JSON: \(error.reason) (byte \(error.offset))")
        }
        guard let members = json.objectMembers else { throw .init("a signed statement is a JSON object") }
        try EntryFormatError.requireExactMembers(members, ["sigs", "statement"], in: "signed statement")
        guard let statement = json.member("statement") else { throw .init("no statement") }
        // The statement is read as the body of an entry not yet placed: seq 1 when it names no genesis.
        let placeholder = JSONValue.object([
            JSONMember("prev", .string(EntryBody.zeroHash)),
            JSONMember("seq", .integer(statement.member("genesis") == nil ? 1 : 2)),
            JSONMember("statement", statement),
            JSONMember("time", "2000-01-01T00:00:00.000Z"),
            JSONMember("v", .integer(EntryBody.statementVersion)),
        ])
        let body = try EntryBody(json: placeholder)
        guard let values = json.member("sigs")?.arrayValue, !values.isEmpty else {
            throw .init("sigs is not a non-empty array")
        }
        var sigs: [EntrySignature] = []
        for value in values {
            let sig = try EntrySignature.parse(value, version: EntryBody.statementVersion)
            if let last = sigs.last, !last.key.utf8.lexicographicallyPrecedes(sig.key.utf8) {
                throw .init("sigs are not sorted by key with each key once")
            }
            sigs.append(sig)
        }
        guard JCS.serialize(json) == line else { throw .init("the line is not in canonical form (RFC 8785 JCS)") }
        self.init(statement: body, sigs: sigs)
    }
}
