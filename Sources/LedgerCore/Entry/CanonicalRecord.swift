import LedgerCrypto

extension Entry {
    /// Reads a record in the layout of a canonical record (FORMAT.md §3.1 and §12.3: `{"body":…,"sigs":[…]}` with
    /// every member in its JCS place), proving its canonical form while reading it, so that nothing is serialized
    /// again to compare; nil when the bytes are laid out otherwise or fail any check.
    ///
    /// It accepts exactly the records the full reader (``parseInFull(record:)``) accepts and reads them the same way
    /// (the `entry` fuzz target checks both directions): every value is parsed with the canonical JSON profile,
    /// which admits only the text RFC 8785 writes, and every value is checked where the full reader checks it
    /// (``EntryBody/checkStatementFields()``, ``EntryBody/init(slots:)``, ``EntrySignature/checked(key:sig:signedAt:)``).
    /// A record it refuses is read again in full, which says what is wrong.
    package static func parseCanonical(_ record: [UInt8]) -> Entry? {
        var repeated = RepeatedStrings()
        return parseCanonical(record, repeated: &repeated)
    }

    /// ``parseCanonical(_:)`` sharing the strings that repeat from record to record with the records read before
    /// through `repeated` (a reader of many records keeps one).
    package static func parseCanonical(_ record: [UInt8], repeated: inout RepeatedStrings) -> Entry? {
        guard record.count <= maxRecordBytes else { return nil }
        return record.withUnsafeBufferPointer { all -> Entry? in
            var cursor = JSONCursor(all, profile: .ledgerCanonical)
            do {
                guard cursor.skip(#"{"body":"#) else { return nil }
                let bodyStart = cursor.position
                let body: EntryBody
                var statement: Range<Int>?
                if cursor.skip(#"{"prev":"#) {
                    // The record is at depth 1, the body 2, the statement 3: its members are at depth 4.
                    guard let (read, range) = try readStatementBody(&cursor, dataDepth: 4, repeated: &repeated) else {
                        return nil
                    }
                    body = read
                    statement = range
                } else if cursor.skip(#"{"actor":"#) {
                    // The record is at depth 1, the body 2: its members are at depth 3.
                    guard let read = try readV1Body(&cursor, memberDepth: 3, repeated: &repeated) else { return nil }
                    body = read
                } else {
                    return nil
                }
                let bodyEnd = cursor.position
                guard record.count <= maxRecordBytes(version: body.version), cursor.skip(#","sigs":["#) else {
                    return nil
                }
                let sigsStart = cursor.position - 1
                var sigs: [EntrySignature] = []
                repeat {
                    guard cursor.skip(#"{"key":"#) else { return nil }
                    let key = try cursor.string()
                    guard cursor.skip(#","sig":"#) else { return nil }
                    let sig = try cursor.string()
                    var signedAt: String?? = .none
                    if body.isStatement, cursor.skip(#","signed_at":"#) { signedAt = .some(try cursor.string()) }
                    guard cursor.skip("}") else { return nil }
                    try EntrySignature.append(EntrySignature.checked(key: key, sig: sig, signedAt: signedAt), to: &sigs)
                } while cursor.skip(",")
                guard cursor.skip("]}"), cursor.isAtEnd else { return nil }
                let bodyHash = SHA256.hash(
                    UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: all[bodyStart..<bodyEnd])))
                let statementHash =
                    statement.map { SHA256.hash(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: all[$0]))) } ?? []
                return Entry(
                    body: body, sigs: sigs, bodyHash: bodyHash, statementHash: statementHash, record: record,
                    sigsLength: record.count - 1 - sigsStart)
            } catch {
                return nil
            }
        }
    }

    /// A version-2 body after its opening `{"prev":`, and where its statement lies; nil when laid out otherwise.
    ///
    /// `dataDepth` is the nesting depth of the statement's members (4 in a record; 3 in a body read alone, as
    /// ``EntryBody/parse(record:)`` reads it); the origin, actor and type are shared with earlier records through
    /// `repeated`.
    static func readStatementBody(_ cursor: inout JSONCursor, dataDepth: Int, repeated: inout RepeatedStrings) throws
        -> (EntryBody, Range<Int>)?
    {
        guard let prev = try cursor.string(), cursor.skip(#","seq":"#), let seq = try cursor.integer(),
            cursor.skip(#","statement":"#)
        else { return nil }
        let statementStart = cursor.position
        guard cursor.skip(#"{"actor":"#), let actor = try RepeatedStrings.read(&cursor, &repeated.actor) else {
            return nil
        }
        var anchor: StatementAnchor?
        if cursor.skip(#","anchor":{"root":"#) {
            guard let root = try cursor.string(), cursor.skip(#","size":"#), let size = try cursor.integer(),
                cursor.skip("}")
            else { return nil }
            anchor = StatementAnchor(size: size, root: root)
        }
        guard cursor.skip(#","data":"#) else { return nil }
        let data = try cursor.value(depth: dataDepth)
        guard cursor.skip(#","expires":"#), let expires = try cursor.string() else { return nil }
        var genesis: String?
        if cursor.skip(#","genesis":"#) {
            guard let text = try RepeatedStrings.read(&cursor, &repeated.genesis) else { return nil }
            genesis = text
        }
        guard cursor.skip(#","id":"#), let id = try cursor.string(), cursor.skip(#","ledger":"#),
            let ledger = try RepeatedStrings.read(&cursor, &repeated.ledger), cursor.skip(#","signed_at":"#),
            let signedAt = try cursor.string(), cursor.skip(#","stream":"#), let stream = try cursor.string(),
            cursor.skip(#","stream_prev":"#), let streamPrev = try cursor.string(), cursor.skip(#","stream_rev":"#),
            let streamRev = try cursor.integer(), cursor.skip(#","type":"#),
            let type = try RepeatedStrings.read(&cursor, &repeated.type), cursor.skip(#","v":2}"#)
        else { return nil }
        let statementEnd = cursor.position
        guard cursor.skip(#","time":"#), let time = try cursor.string(), cursor.skip(#","v":2}"#) else { return nil }
        var body = EntryBody(
            ledger: ledger, seq: seq, prev: prev, stream: stream, streamRev: streamRev, streamPrev: streamPrev, id: id,
            time: time, type: type, actor: actor, data: data, version: EntryBody.statementVersion, genesis: genesis,
            signedAt: signedAt, expires: expires)
        body.anchor = anchor
        try body.checkStatementFields()
        return (body, statementStart..<statementEnd)
    }

    /// A version-1 body after its opening `{"actor":`; nil when laid out otherwise.
    ///
    /// `memberDepth` is the nesting depth of the body's members (3 in a record; 2 in a body read alone, as
    /// ``EntryBody/parse(record:)`` reads it); the origin, actor and type are shared with earlier records through
    /// `repeated`.
    static func readV1Body(_ cursor: inout JSONCursor, memberDepth: Int, repeated: inout RepeatedStrings) throws
        -> EntryBody?
    {
        var values = [JSONValue?](repeating: nil, count: 12)
        guard let actor = try RepeatedStrings.read(&cursor, &repeated.actor) else { return nil }
        values[10] = .string(actor)
        for (name, slot) in v1Layout {
            guard cursor.skip(name) else { return nil }
            switch slot {
            case 1:
                guard let ledger = try RepeatedStrings.read(&cursor, &repeated.ledger) else { return nil }
                values[slot] = .string(ledger)
            case 9:
                guard let type = try RepeatedStrings.read(&cursor, &repeated.type) else { return nil }
                values[slot] = .string(type)
            default: values[slot] = try cursor.value(depth: memberDepth)
            }
        }
        guard cursor.skip("}") else { return nil }
        return try EntryBody(slots: values)
    }

    /// The members of a version-1 body after `actor`, in JCS order, with their slots in ``EntryBody/init(slots:)``.
    private static let v1Layout: [(name: StaticString, slot: Int)] = [
        (#","data":"#, 11), (#","id":"#, 7), (#","ledger":"#, 1), (#","prev":"#, 3), (#","seq":"#, 2),
        (#","stream":"#, 4), (#","stream_prev":"#, 6), (#","stream_rev":"#, 5), (#","time":"#, 8), (#","type":"#, 9),
        (#","v":"#, 0),
    ]
}

/// The strings that repeat from one record to the next (the origin, the genesis hash, actors, types), kept by a reader
/// of many records so that each is stored once instead of allocated again for every record.
package struct RepeatedStrings {
    var ledger: String?
    var genesis: String?
    var actor: String?
    var type: String?

    /// None yet.
    package init() {}

    /// The string at the cursor, the same `String` as `kept` when its bytes are the same (`kept` becomes the string
    /// read otherwise); nil when the cursor is not at a string.
    static func read(_ cursor: inout JSONCursor, _ kept: inout String?) throws(JSONError) -> String? {
        guard let (text, reused) = try cursor.string(reusing: kept) else { return nil }
        // Only a plain string (nothing to escape) can be recognized by its bytes.
        if !reused { kept = JSONCursor.isPlain(text) ? text : nil }
        return text
    }
}
