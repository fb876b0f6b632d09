import LedgerCrypto

/// The body of a ledger entry (FORMAT.md §3.1): exactly twelve members.
public struct EntryBody: Sendable {
    /// The format version every v1 body carries.
    public static let version: Int64 = 1
    /// 64 zeros: the `prev` of seq 1 and the `stream_prev` of a stream's first entry.
    public static let zeroHash = String(repeating: "0", count: 64)

    /// The ledger's origin, the same in every entry (FORMAT.md §6.1).
    public var ledger: String
    /// The entry's position: 1 for the first, then +1 each entry.
    public var seq: Int64
    /// Hex of the previous entry's body hash; ``zeroHash`` for seq 1.
    public var prev: String
    /// The stream the entry belongs to, such as `item/<id>`: `^[A-Za-z0-9._/-]{1,128}$`.
    public var stream: String
    /// 1 for the stream's first entry, then +1 for each entry of that stream.
    public var streamRev: Int64
    /// Hex of the body hash of the stream's previous entry; ``zeroHash`` when ``streamRev`` is 1.
    public var streamPrev: String
    /// A lowercase UUID version 4, unique in the ledger (what idempotent appends and corrections refer to).
    public var id: String
    /// When it was recorded, UTC, exactly `YYYY-MM-DDTHH:MM:SS.sssZ`; never before the previous entry's.
    public var time: String
    /// The event type, a row of the type table (FORMAT.md §5).
    public var type: String
    /// The key id of the key that performed the action.
    public var actor: String
    /// The event's data, an object whose members the type's schema fixes.
    public var data: JSONValue

    /// Makes a body; fields are checked when it is parsed back or verified, not here.
    public init(
        ledger: String, seq: Int64, prev: String, stream: String, streamRev: Int64, streamPrev: String, id: String,
        time: String, type: String, actor: String, data: JSONValue
    ) {
        self.ledger = ledger
        self.seq = seq
        self.prev = prev
        self.stream = stream
        self.streamRev = streamRev
        self.streamPrev = streamPrev
        self.id = id
        self.time = time
        self.type = type
        self.actor = actor
        self.data = data
    }

    /// The body as a JSON object.
    public var json: JSONValue {
        .object([
            JSONMember("actor", .string(actor)),
            JSONMember("data", data),
            JSONMember("id", .string(id)),
            JSONMember("ledger", .string(ledger)),
            JSONMember("prev", .string(prev)),
            JSONMember("seq", .integer(seq)),
            JSONMember("stream", .string(stream)),
            JSONMember("stream_prev", .string(streamPrev)),
            JSONMember("stream_rev", .integer(streamRev)),
            JSONMember("time", .string(time)),
            JSONMember("type", .string(type)),
            JSONMember("v", .integer(EntryBody.version)),
        ])
    }

    /// JCS(body).
    public var canonicalBytes: [UInt8] {
        // The twelve member names are fixed and ASCII, so their JCS order is known: write them directly
        // (the same bytes as JCS.serialize(json), which the tests check) without building and sorting a tree.
        var out = [UInt8]()
        out.reserveCapacity(640)
        func member(_ name: StaticString, first: Bool = false) {
            if !first { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
            out.append(contentsOf: "\":".utf8)
        }
        out.append(UInt8(ascii: "{"))
        member("actor", first: true)
        JCS.writeString(actor, to: &out)
        member("data")
        JCS.write(data, to: &out)
        member("id")
        JCS.writeString(id, to: &out)
        member("ledger")
        JCS.writeString(ledger, to: &out)
        member("prev")
        JCS.writeString(prev, to: &out)
        member("seq")
        out.append(contentsOf: String(seq).utf8)
        member("stream")
        JCS.writeString(stream, to: &out)
        member("stream_prev")
        JCS.writeString(streamPrev, to: &out)
        member("stream_rev")
        out.append(contentsOf: String(streamRev).utf8)
        member("time")
        JCS.writeString(time, to: &out)
        member("type")
        JCS.writeString(type, to: &out)
        member("v")
        out.append(contentsOf: String(EntryBody.version).utf8)
        out.append(UInt8(ascii: "}"))
        return out
    }

    private static let names = [
        "v", "ledger", "seq", "prev", "stream", "stream_rev", "stream_prev", "id", "time", "type", "actor", "data",
    ]

    /// The slot of a body member name, matched by bytes: all v1 names are ASCII, and a name that is canonically
    /// equivalent to an ASCII name and has as many UTF-8 bytes is that very byte sequence.
    private static func slot(of name: String) -> Int? {
        // By length first: at most four names share one, so few comparisons per member.
        let slot: Int? =
            switch name.utf8.count {
            case 1: name == "v" ? 0 : nil
            case 2: name == "id" ? 7 : nil
            case 3: name == "seq" ? 2 : nil
            case 4:
                switch name {
                case "prev": 3
                case "time": 8
                case "type": 9
                case "data": 11
                default: nil
                }
            case 5: name == "actor" ? 10 : nil
            case 6: name == "ledger" ? 1 : (name == "stream" ? 4 : nil)
            case 10: name == "stream_rev" ? 5 : nil
            case 11: name == "stream_prev" ? 6 : nil
            default: nil
            }
        guard let slot, name.utf8.count == names[slot].utf8.count else { return nil }
        return slot
    }

    /// Reads a body from parsed JSON, checking rule 1 of FORMAT.md §7 (members, types, patterns).
    init(json: JSONValue) throws(EntryFormatError) {
        guard let members = json.objectMembers else { throw .init("body is not an object") }
        var values = [JSONValue?](repeating: nil, count: 12)
        for member in members {
            guard let slot = EntryBody.slot(of: member.name) else {
                throw .init("body has unexpected member \"\(member.name)\"")
            }
            values[slot] = member.value
        }
        try self.init(slots: values)
    }

    /// Reads a body from its member values in the order of `names`, checking their types and patterns.
    init(slots values: [JSONValue?]) throws(EntryFormatError) {
        let names = EntryBody.names
        for (slot, value) in values.enumerated() where value == nil {
            throw .init("body lacks member \"\(names[slot])\"")
        }
        func string(_ slot: Int) throws(EntryFormatError) -> String {
            guard let value = values[slot]?.stringValue else { throw .init("body.\(names[slot]) is not a string") }
            return value
        }
        func integer(_ slot: Int) throws(EntryFormatError) -> Int64 {
            guard let value = values[slot]?.integerValue else { throw .init("body.\(names[slot]) is not an integer") }
            return value
        }
        guard try integer(0) == EntryBody.version else { throw .init("body.v is not 1 (unsupported format version)") }
        ledger = try string(1)
        seq = try integer(2)
        guard seq >= 1 else { throw .init("body.seq must be at least 1") }
        prev = try string(3)
        guard Hex.isCanonical(prev, byteCount: 32) else { throw .init("body.prev is not 64 lowercase hex digits") }
        stream = try string(4)
        guard Identifiers.isStreamName(stream) else {
            throw .init("body.stream \"\(stream)\" is not a valid stream name")
        }
        streamRev = try integer(5)
        guard streamRev >= 1 else { throw .init("body.stream_rev must be at least 1") }
        streamPrev = try string(6)
        guard Hex.isCanonical(streamPrev, byteCount: 32) else {
            throw .init("body.stream_prev is not 64 lowercase hex digits")
        }
        id = try string(7)
        guard Identifiers.isUUIDv4(id) else { throw .init("body.id is not a lowercase UUID version 4") }
        time = try string(8)
        guard LedgerTime.isValid(time) else { throw .init("body.time \"\(time)\" is not YYYY-MM-DDTHH:MM:SS.sssZ") }
        type = try string(9)
        actor = try string(10)
        guard Hex.isCanonical(actor, byteCount: 32) else {
            throw .init("body.actor is not a key id (64 lowercase hex)")
        }
        guard let data = values[11], data.objectMembers != nil else { throw .init("body.data is not an object") }
        self.data = data
    }
}

/// One signature of an entry: `{"key": <key id>, "sig": <base64>}`.
public struct EntrySignature: Sendable {
    /// The signer's key id.
    public let key: String
    /// The 64-byte Ed25519 signature.
    public let signature: [UInt8]

    /// Makes a signature element.
    public init(key: String, signature: [UInt8]) {
        self.key = key
        self.signature = signature
    }

    var json: JSONValue {
        .object([JSONMember("key", .string(key)), JSONMember("sig", .string(Base64.encode(signature)))])
    }

    /// Writes JCS of a sorted signature array, the same bytes as `JCS.write(.array(sigs.map(\.json)))` without
    /// building the JSON values: members `key` then `sig`, and base64 needs no escaping.
    static func writeArray(_ sigs: [EntrySignature], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        for (index, sig) in sigs.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: #"{"key":"#.utf8)
            JCS.writeString(sig.key, to: &out)
            out.append(contentsOf: #","sig":""#.utf8)
            out.append(contentsOf: Base64.encode(sig.signature).utf8)
            out.append(contentsOf: #""}"#.utf8)
        }
        out.append(UInt8(ascii: "]"))
    }
}

/// The messages that entry signers sign (FORMAT.md §3.2).
public enum SigningMessage {
    private static let entryPrefix = Array("custody-ledger/v1 entry\n".utf8)

    /// "custody-ledger/v1 entry\n" ‖ hex(body hash) ‖ "\n", signed by the actor.
    public static func entry(bodyHash: [UInt8]) -> [UInt8] {
        var message = [UInt8]()
        message.reserveCapacity(entryPrefix.count + 65)
        message.append(contentsOf: entryPrefix)
        message.append(contentsOf: Hex.encode(bodyHash).utf8)
        message.append(0x0a)
        return message
    }

    /// "custody-ledger/v1 key-request\n" ‖ hex(SHA-256(JCS(request))) ‖ "\n", signed by a key asking to be registered.
    public static func keyRequest(_ request: JSONValue) -> [UInt8] {
        Array("custody-ledger/v1 key-request\n".utf8) + Array(Hex.encode(SHA256.hash(JCS.serialize(request))).utf8)
            + [0x0a]
    }
}

/// A complete entry: body, signatures, and the record bytes they serialize to.
public struct Entry: Sendable {
    /// The largest record, in bytes, a v1 ledger accepts.
    public static let maxRecordBytes = 65_536

    /// The body; its signatures are over a message that holds ``bodyHash``.
    public let body: EntryBody
    /// Signatures sorted by key id.
    public let sigs: [EntrySignature]
    /// SHA-256(JCS(body)).
    public let bodyHash: [UInt8]
    /// JCS({"body": body, "sigs": sigs}).
    public let record: [UInt8]
    /// The length of the serialized sigs array at the end of the record (before the closing brace).
    private let sigsLength: Int

    /// Assembles an entry from a body and its signatures (sorted here by key id).
    public init(body: EntryBody, sigs: [EntrySignature]) {
        let bodyBytes = body.canonicalBytes
        let sorted = sigs.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        var record = Array("{\"body\":".utf8)
        record.append(contentsOf: bodyBytes)
        record.append(contentsOf: Array(",\"sigs\":".utf8))
        let start = record.count
        EntrySignature.writeArray(sorted, to: &record)
        self.sigsLength = record.count - start
        record.append(UInt8(ascii: "}"))
        self.body = body
        self.sigs = sorted
        self.bodyHash = SHA256.hash(bodyBytes)
        self.bodyHashHex = Hex.encode(bodyHash)
        self.record = record
    }

    private init(body: EntryBody, sigs: [EntrySignature], bodyHash: [UInt8], record: [UInt8], sigsLength: Int) {
        self.body = body
        self.sigs = sigs
        self.bodyHash = bodyHash
        self.bodyHashHex = Hex.encode(bodyHash)
        self.record = record
        self.sigsLength = sigsLength
    }

    /// The same body with other signatures (the body's bytes and hash are reused, not recomputed).
    public func withSignatures(_ newSigs: [EntrySignature]) -> Entry {
        let sorted = newSigs.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        // The record is {"body":<body>,"sigs":<sigs>}; keep everything up to and including ,"sigs":.
        var record = Array(self.record[..<(self.record.count - sigsLength - 1)])
        let start = record.count
        EntrySignature.writeArray(sorted, to: &record)
        let length = record.count - start
        record.append(UInt8(ascii: "}"))
        return Entry(body: body, sigs: sorted, bodyHash: bodyHash, record: record, sigsLength: length)
    }

    /// Hex of the body hash.
    public let bodyHashHex: String

    /// Parses and checks a record's form (FORMAT.md §7 rule 1): size, JSON profile, canonical bytes, members,
    /// body field types and patterns, signature element form and order.
    public static func parse(record: [UInt8]) throws(EntryFormatError) -> Entry {
        guard record.count <= maxRecordBytes else {
            throw .init("record is \(record.count) bytes, over the limit of \(maxRecordBytes)")
        }
        let json: JSONValue
        do { json = try JSONParser.parse(record, profile: .ledgerV1) } catch {
            throw .init("record is not valid v1 JSON: \(error.reason) (byte \(error.offset))")
        }
        guard let members = json.objectMembers else { throw .init("record is not a JSON object") }
        try EntryFormatError.requireExactMembers(members, ["body", "sigs"], in: "record")
        guard let bodyJSON = json.member("body") else { throw .init("record has no body") }
        let body = try EntryBody(json: bodyJSON)
        guard let sigValues = json.member("sigs")?.arrayValue, !sigValues.isEmpty else {
            throw .init("sigs is not a non-empty array")
        }
        var sigs: [EntrySignature] = []
        for value in sigValues {
            guard let sigMembers = value.objectMembers else { throw .init("a sigs element is not an object") }
            try EntryFormatError.requireExactMembers(sigMembers, ["key", "sig"], in: "sigs element")
            guard let key = value.member("key")?.stringValue, Hex.isCanonical(key, byteCount: 32) else {
                throw .init("sigs key is not a key id (64 lowercase hex)")
            }
            guard let sigText = value.member("sig")?.stringValue, let signature = Base64.decodeCanonical(sigText),
                signature.count == 64
            else { throw .init("signature by key \(key.prefix(12))… is not canonical base64 of 64 bytes") }
            if let last = sigs.last, !last.key.utf8.lexicographicallyPrecedes(key.utf8) {
                throw .init("sigs are not sorted by key with each key once")
            }
            sigs.append(EntrySignature(key: key, signature: signature))
        }
        // Re-serialize into one buffer and compare; the body's bytes are a slice of it.
        var canonical = [UInt8]()
        canonical.reserveCapacity(record.count)
        canonical.append(contentsOf: "{\"body\":".utf8)
        JCS.write(bodyJSON, to: &canonical)
        let bodyEnd = canonical.count
        canonical.append(contentsOf: ",\"sigs\":".utf8)
        let start = canonical.count
        JCS.write(.array(sigValues), to: &canonical)
        let sigsLength = canonical.count - start
        canonical.append(UInt8(ascii: "}"))
        guard canonical == record else { throw .init("record is not in canonical form (RFC 8785 JCS)") }
        let bodyHash = canonical[8..<bodyEnd].withUnsafeBytes { SHA256.hash($0) }
        return Entry(body: body, sigs: sigs, bodyHash: bodyHash, record: record, sigsLength: sigsLength)
    }

    /// The message `keyID` must have signed for this entry, or nil when that key is not a possible signer.
    ///
    /// The actor signs the entry message; a key being registered by someone else signs its key request; a
    /// co-signer that `table` names for the type (a witnessing officer) signs the entry message too.
    public func signedMessage(for keyID: String, table: TypeTable) -> [UInt8]? {
        if keyID.hasSameBytes(as: body.actor) { return SigningMessage.entry(bodyHash: bodyHash) }
        if body.type == EventTypes.keyRegistered,
            let request = KeyRequest(registrationData: body.data, ledger: body.ledger),
            let registered = body.data.member("key")?.stringValue, registered.hasSameBytes(as: keyID)
        {
            return request.message
        }
        // A co-signer named in the data (a witnessing officer) signs the entry itself, like the actor.
        if let rule = table.rules[body.type], case .dataKey(let member) = rule.coSigner,
            let named = body.data.member(member)?.stringValue, named.hasSameBytes(as: keyID)
        {
            return SigningMessage.entry(bodyHash: bodyHash)
        }
        return nil
    }
}

/// A record whose form breaks FORMAT.md §7 rule 1.
public struct EntryFormatError: Error, Sendable, CustomStringConvertible {
    /// What is wrong with the record.
    public let description: String

    init(_ description: String) { self.description = description }

    static func requireExactMembers(_ members: [JSONMember], _ expected: [String], in place: String)
        throws(EntryFormatError)
    {
        // Compared as UTF-8 bytes: Swift's String equality would equate canonically equivalent names. The parser
        // rejects duplicate names, so as many members as expected, each an expected one, are exactly those.
        if members.count == expected.count
            && members.allSatisfy({ member in expected.contains { $0.hasSameBytes(as: member.name) } })
        {
            return
        }
        let expectedBytes = Set(expected.map { Array($0.utf8) })
        let names = Set(members.map { Array($0.name.utf8) })
        let missing = expectedBytes.subtracting(names).map { String(decoding: $0, as: UTF8.self) }.sorted()
        let extra = names.subtracting(expectedBytes).map { String(decoding: $0, as: UTF8.self) }.sorted()
        if !missing.isEmpty {
            throw .init("\(place) lacks member \(missing.map { "\"\($0)\"" }.joined(separator: ", "))")
        }
        if !extra.isEmpty {
            throw .init("\(place) has unexpected member \(extra.map { "\"\($0)\"" }.joined(separator: ", "))")
        }
    }
}

/// Reads the bodies of stored records one after another, for replays (`ledger rebuild`): without checking the
/// records' canonical form, hashes or signatures, and sharing the strings that repeat from one body to the next
/// (the origin, actors, types) instead of allocating them again.
///
/// A body in canonical form is read member by member in its known order; any other record is parsed in full.
/// Both ways check the same member types and patterns.
public struct EntryBodyDecoder {
    private var ledger: String?
    private var actor: String?
    private var type: String?

    /// A decoder that shares no strings yet.
    public init() {}

    /// The body of `record`.
    public mutating func body(of record: [UInt8]) throws(EntryFormatError) -> EntryBody {
        if let range = Entry.canonicalBodyRange(record), let body = canonicalBody(record, range) { return body }
        return try EntryBody.parse(record: record)
    }

    /// The body read in JCS member order, or nil when the bytes are laid out otherwise or do not check.
    mutating func canonicalBody(_ record: [UInt8], _ range: Range<Int>) -> EntryBody? {
        record.withUnsafeBufferPointer { all -> EntryBody? in
            var cursor = JSONCursor(UnsafeBufferPointer(rebasing: all[range]), profile: .ledgerV1)
            var values = [JSONValue?](repeating: nil, count: 12)
            func shared(_ slot: Int, _ previous: inout String?) throws(JSONError) -> Bool {
                guard let (text, reused) = try cursor.string(reusing: previous) else { return false }
                if !reused { previous = JSONCursor.isPlain(text) ? text : nil }
                values[slot] = .string(text)
                return true
            }
            func value(_ slot: Int) throws(JSONError) {
                values[slot] = try cursor.value(depth: 2)
            }
            do throws(JSONError) {
                guard cursor.skip("{\"actor\":"), try shared(10, &actor), cursor.skip(",\"data\":") else { return nil }
                try value(11)
                guard cursor.skip(",\"id\":") else { return nil }
                try value(7)
                guard cursor.skip(",\"ledger\":"), try shared(1, &ledger), cursor.skip(",\"prev\":") else { return nil }
                try value(3)
                guard cursor.skip(",\"seq\":") else { return nil }
                try value(2)
                guard cursor.skip(",\"stream\":") else { return nil }
                try value(4)
                guard cursor.skip(",\"stream_prev\":") else { return nil }
                try value(6)
                guard cursor.skip(",\"stream_rev\":") else { return nil }
                try value(5)
                guard cursor.skip(",\"time\":") else { return nil }
                try value(8)
                guard cursor.skip(",\"type\":"), try shared(9, &type), cursor.skip(",\"v\":") else { return nil }
                try value(0)
                guard cursor.skip("}"), cursor.isAtEnd else { return nil }
            } catch {
                return nil
            }
            return try? EntryBody(slots: values)
        }
    }
}

extension EntryBody {
    /// The body of a stored record, parsed without checking its canonical form, hashing it or its signatures.
    ///
    /// For replaying records the verifier checks into projections (`ledger rebuild`); ``EntryBodyDecoder`` reads
    /// many faster.
    public static func parse(record: [UInt8]) throws(EntryFormatError) -> EntryBody {
        // A canonical record is {"body":<body>,"sigs":[…]}: parse the body's bytes alone when they can be found
        // (Entry.canonicalBodyFacts explains why the last `,"sigs":[` ends the body), the whole record otherwise.
        let bodyJSON: JSONValue?
        do {
            if let range = Entry.canonicalBodyRange(record) {
                bodyJSON = try JSONParser.parse(Array(record[range]), profile: .ledgerV1)
            } else {
                bodyJSON = try JSONParser.parse(record, profile: .ledgerV1).member("body")
            }
        } catch {
            throw .init("record is not valid v1 JSON: \(error.reason) (byte \(error.offset))")
        }
        guard let bodyJSON else { throw .init("record has no body") }
        return try EntryBody(json: bodyJSON)
    }
}

extension Entry {
    /// The body hash and `stream_rev` of a record in canonical form, found without parsing it as JSON; nil when the
    /// bytes do not have the expected shape.
    ///
    /// In JCS text a quote inside a string is always escaped, so the byte sequences `,"sigs":[` and
    /// `"stream_rev":` occur unescaped only as member names. The record's members are `body` then `sigs`, so the
    /// last `,"sigs":[` ends the body; the body's members are sorted, and `stream_rev` follows `data`, so its last
    /// occurrence in the body is the body's own. Only for records a store wrote after parsing them; `ledger
    /// verify` checks every record fully.
    public static func canonicalBodyFacts(_ record: [UInt8]) -> (bodyHash: [UInt8], streamRev: Int64)? {
        let revMarker = Array("\"stream_rev\":".utf8)
        guard let range = canonicalBodyRange(record) else { return nil }
        let body = record[range]
        guard let revStart = lastIndex(of: revMarker, in: body) else { return nil }
        var rev: Int64 = 0
        var index = revStart + revMarker.count
        var digits = 0
        while index < body.endIndex, body[index] >= 0x30, body[index] <= 0x39, digits < 17 {
            rev = rev * 10 + Int64(body[index] - 0x30)
            index += 1
            digits += 1
        }
        guard digits > 0 else { return nil }
        return (body.withUnsafeBytes { SHA256.hash($0) }, rev)
    }

    /// Where the body of a canonical record lies: after `{"body":`, before the last `,"sigs":[`.
    private static let bodyPrefix = Array("{\"body\":".utf8)
    private static let sigsMarker = Array(",\"sigs\":[".utf8)

    static func canonicalBodyRange(_ record: [UInt8]) -> Range<Int>? {
        let prefix = bodyPrefix
        guard record.starts(with: prefix), let sigsStart = lastIndex(of: sigsMarker, in: record[...]),
            sigsStart > prefix.count
        else { return nil }
        return prefix.count..<sigsStart
    }

    private static func lastIndex(of pattern: [UInt8], in bytes: ArraySlice<UInt8>) -> Int? {
        guard bytes.count >= pattern.count, let first = pattern.first else { return nil }
        return bytes.withUnsafeBufferPointer { buffer -> Int? in
            pattern.withUnsafeBufferPointer { needle -> Int? in
                var offset = buffer.count - needle.count
                while offset >= 0 {
                    if buffer[offset] == first {
                        var length = 1
                        while length < needle.count, buffer[offset + length] == needle[length] { length += 1 }
                        if length == needle.count { return bytes.startIndex + offset }
                    }
                    offset -= 1
                }
                return nil
            }
        }
    }
}
