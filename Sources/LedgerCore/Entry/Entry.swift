import LedgerCrypto

/// The body of a ledger entry: in format version 1 exactly twelve members (FORMAT.md §3.1); in version 2 `v`, `seq`,
/// `prev`, `time` and the signed `statement` (§12.2–12.3), whose members are the fields below too.
///
/// Every field is kept flat whatever the version, so the rules, the fold and the stores read `stream`, `type`,
/// `actor` or `data` the same way for both.
public struct EntryBody: Sendable {
    /// The format version every v1 body carries.
    public static let version: Int64 = 1
    /// The format version of new ledgers: statements signed by people, sequenced by the ledger (FORMAT.md §12).
    public static let statementVersion: Int64 = 2
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
    /// The format version: 1 or 2 (FORMAT.md §12.1).
    public var version: Int64
    /// Version 2: hex of the body hash of seq 1, in every statement but seq 1's own (nil there and in version 1).
    public var genesis: String?
    /// Version 2: when the actor signed the statement, by their clock (empty in version 1).
    public var signedAt: String
    /// Version 2: the statement may not be sequenced after this time (empty in version 1).
    public var expires: String
    /// Version 2, optional: the size and root (hex) of a checkpoint the signer verified, binding what they saw of
    /// the whole ledger (FORMAT.md §12.2).
    public var anchor: StatementAnchor?

    /// Makes a body; fields are checked when it is parsed back or verified, not here.
    public init(
        ledger: String, seq: Int64, prev: String, stream: String, streamRev: Int64, streamPrev: String, id: String,
        time: String, type: String, actor: String, data: JSONValue, version: Int64 = EntryBody.version,
        genesis: String? = nil, signedAt: String = "", expires: String = ""
    ) {
        self.version = version
        self.genesis = genesis
        self.signedAt = signedAt
        self.expires = expires
        self.anchor = nil
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

    /// True for a version-2 body, whose statement people sign (FORMAT.md §12).
    public var isStatement: Bool { version == EntryBody.statementVersion }

    /// Version 2: the statement as a JSON object (FORMAT.md §12.2).
    public var statementJSON: JSONValue {
        var members = [JSONMember("actor", .string(actor))]
        if let anchor {
            members.append(
                JSONMember(
                    "anchor",
                    .object([JSONMember("root", .string(anchor.root)), JSONMember("size", .integer(anchor.size))])))
        }
        members += [
            JSONMember("data", data),
            JSONMember("expires", .string(expires)),
        ]
        if let genesis { members.append(JSONMember("genesis", .string(genesis))) }
        members += [
            JSONMember("id", .string(id)),
            JSONMember("ledger", .string(ledger)),
            JSONMember("signed_at", .string(signedAt)),
            JSONMember("stream", .string(stream)),
            JSONMember("stream_prev", .string(streamPrev)),
            JSONMember("stream_rev", .integer(streamRev)),
            JSONMember("type", .string(type)),
            JSONMember("v", .integer(EntryBody.statementVersion)),
        ]
        return .object(members)
    }

    /// Version 2: JCS(statement), what the statement hash is over.
    public var statementCanonicalBytes: [UInt8] {
        // Written member by member in JCS order (the same bytes as JCS.serialize(statementJSON), which the tests
        // check), without building and sorting a tree.
        var writer = JCSObjectWriter(capacity: 600)
        writer.string("actor", actor)
        if let anchor {
            writer.raw("anchor") { out in
                var nested = JCSObjectWriter(capacity: 100)
                nested.string("root", anchor.root)
                nested.integer("size", anchor.size)
                out.append(contentsOf: nested.finishBytes())
            }
        }
        writer.value("data", data)
        writer.string("expires", expires)
        writer.string("genesis", genesis)
        writer.string("id", id)
        writer.string("ledger", ledger)
        writer.string("signed_at", signedAt)
        writer.string("stream", stream)
        writer.string("stream_prev", streamPrev)
        writer.integer("stream_rev", streamRev)
        writer.string("type", type)
        writer.integer("v", EntryBody.statementVersion)
        return writer.finishBytes()
    }

    /// The body as a JSON object.
    public var json: JSONValue {
        if isStatement {
            return .object([
                JSONMember("prev", .string(prev)),
                JSONMember("seq", .integer(seq)),
                JSONMember("statement", statementJSON),
                JSONMember("time", .string(time)),
                JSONMember("v", .integer(EntryBody.statementVersion)),
            ])
        }
        return .object([
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
        isStatement ? canonicalBytes(statement: statementCanonicalBytes) : v1CanonicalBytes
    }

    /// Version 2: JCS(body) around the statement's own JCS bytes (FORMAT.md §12.3), which are a slice of it.
    func canonicalBytes(statement: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(statement.count + 140)
        out.append(contentsOf: #"{"prev":"#.utf8)
        JCS.writeString(prev, to: &out)
        out.append(contentsOf: #","seq":"#.utf8)
        out.append(contentsOf: String(seq).utf8)
        out.append(contentsOf: #","statement":"#.utf8)
        out.append(contentsOf: statement)
        out.append(contentsOf: #","time":"#.utf8)
        JCS.writeString(time, to: &out)
        out.append(contentsOf: #","v":2}"#.utf8)
        return out
    }

    private var v1CanonicalBytes: [UInt8] {
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

    /// Reads a body from parsed JSON, checking rule 1 of FORMAT.md §7 (members, types, patterns), or of §12.7 for a
    /// version-2 body.
    init(json: JSONValue) throws(EntryFormatError) {
        guard let members = json.objectMembers else { throw .init("body is not an object") }
        if json.member("v")?.integerValue == EntryBody.statementVersion {
            try self.init(statementBody: json, members: members)
            return
        }
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
        version = EntryBody.version
        genesis = nil
        signedAt = ""
        expires = ""
        anchor = nil
    }

    /// Reads a version-2 body: `v`, `seq`, `prev`, `time` and the statement (FORMAT.md §12.2–12.3): the members and
    /// their types here, their patterns in ``checkStatementFields()``.
    private init(statementBody json: JSONValue, members: [JSONMember]) throws(EntryFormatError) {
        try EntryFormatError.requireExactMembers(members, ["prev", "seq", "statement", "time", "v"], in: "body")
        guard let seq = json.member("seq")?.integerValue else { throw .init("body.seq is not an integer") }
        guard let prev = json.member("prev")?.stringValue else {
            throw .init("body.prev is not 64 lowercase hex digits")
        }
        guard let time = json.member("time")?.stringValue else {
            throw .init("body.time is not YYYY-MM-DDTHH:MM:SS.sssZ")
        }
        guard let statement = json.member("statement"), let fields = statement.objectMembers else {
            throw .init("body.statement is not an object")
        }
        var expected = [
            "actor", "data", "expires", "id", "ledger", "signed_at", "stream", "stream_prev", "stream_rev", "type", "v",
        ]
        // §12.2: genesis is in every statement but seq 1's; anchor is optional.
        if seq > 1 { expected.append("genesis") }
        if statement.member("anchor") != nil { expected.append("anchor") }
        try EntryFormatError.requireExactMembers(fields, expected, in: "statement")
        func string(_ name: String) throws(EntryFormatError) -> String {
            guard let value = statement.member(name)?.stringValue else {
                throw .init("statement.\(name) is not a string")
            }
            return value
        }
        guard statement.member("v")?.integerValue == EntryBody.statementVersion else {
            throw .init("statement.v is not 2")
        }
        ledger = try string("ledger")
        if seq > 1 {
            guard let genesis = statement.member("genesis")?.stringValue else {
                throw .init("statement.genesis is not 64 lowercase hex digits")
            }
            self.genesis = genesis
        } else {
            genesis = nil
        }
        id = try string("id")
        stream = try string("stream")
        guard let streamRev = statement.member("stream_rev")?.integerValue else {
            throw .init("statement.stream_rev is not an integer")
        }
        self.streamRev = streamRev
        streamPrev = try string("stream_prev")
        type = try string("type")
        actor = try string("actor")
        if let value = statement.member("anchor") {
            guard let members = value.objectMembers else { throw .init("statement.anchor is not an object") }
            try EntryFormatError.requireExactMembers(members, ["root", "size"], in: "statement.anchor")
            guard let root = value.member("root")?.stringValue else {
                throw .init("statement.anchor.root is not 64 lowercase hex digits")
            }
            guard let size = value.member("size")?.integerValue else {
                throw .init("statement.anchor.size must be an integer of at least 1")
            }
            anchor = StatementAnchor(size: size, root: root)
        } else {
            anchor = nil
        }
        signedAt = try string("signed_at")
        expires = try string("expires")
        guard let data = statement.member("data") else { throw .init("statement.data is not an object") }
        self.data = data
        self.seq = seq
        self.prev = prev
        self.time = time
        version = EntryBody.statementVersion
        try checkStatementFields()
    }

    /// Version 2: checks the values of a body read with their types (FORMAT.md §12.7 rule 1): the one place that
    /// decides them for both readers of records, the full parser and the canonical reader
    /// (``Entry/parseCanonical(_:)``).
    func checkStatementFields() throws(EntryFormatError) {
        guard seq >= 1 else { throw .init("body.seq must be at least 1") }
        guard Hex.isCanonical(prev, byteCount: 32) else { throw .init("body.prev is not 64 lowercase hex digits") }
        guard LedgerTime.isValid(time) else { throw .init("body.time is not YYYY-MM-DDTHH:MM:SS.sssZ") }
        // §12.2: genesis is in every statement but seq 1's.
        if let genesis {
            guard seq > 1 else { throw .init("statement has unexpected member \"genesis\"") }
            guard Hex.isCanonical(genesis, byteCount: 32) else {
                throw .init("statement.genesis is not 64 lowercase hex digits")
            }
        } else if seq > 1 {
            throw .init("statement lacks member \"genesis\"")
        }
        guard Identifiers.isUUIDv4(id) else { throw .init("statement.id is not a lowercase UUID version 4") }
        guard Identifiers.isStreamName(stream) else {
            throw .init("statement.stream \"\(stream)\" is not a valid stream name")
        }
        guard streamRev >= 1 else { throw .init("statement.stream_rev must be at least 1") }
        guard Hex.isCanonical(streamPrev, byteCount: 32) else {
            throw .init("statement.stream_prev is not 64 lowercase hex digits")
        }
        guard Hex.isCanonical(actor, byteCount: 32) else {
            throw .init("statement.actor is not a key id (64 lowercase hex)")
        }
        if let anchor {
            guard Hex.isCanonical(anchor.root, byteCount: 32) else {
                throw .init("statement.anchor.root is not 64 lowercase hex digits")
            }
            guard anchor.size >= 1 else { throw .init("statement.anchor.size must be an integer of at least 1") }
        }
        guard LedgerTime.isValid(signedAt) else { throw .init("statement.signed_at is not YYYY-MM-DDTHH:MM:SS.sssZ") }
        guard LedgerTime.isValid(expires) else { throw .init("statement.expires is not YYYY-MM-DDTHH:MM:SS.sssZ") }
        guard data.objectMembers != nil else { throw .init("statement.data is not an object") }
    }
}

/// A checkpoint a statement's signer verified: its size and hex root (FORMAT.md §12.2).
public struct StatementAnchor: Sendable, Equatable {
    /// The checkpoint's tree size.
    public let size: Int64
    /// Hex of its root hash.
    public let root: String

    /// An anchor from its parts.
    public init(size: Int64, root: String) {
        self.size = size
        self.root = root
    }
}

/// One signature of an entry: `{"key": <key id>, "sig": <base64>}`, and in version 2 a co-signer's own
/// `signed_at` (FORMAT.md §12.4).
public struct EntrySignature: Sendable {
    /// The signer's key id.
    public let key: String
    /// The 64-byte Ed25519 signature.
    public let signature: [UInt8]
    /// Version 2, co-signers only: when they signed, by their clock (part of what they signed).
    public let signedAt: String?

    /// Makes a signature element.
    public init(key: String, signature: [UInt8], signedAt: String? = nil) {
        self.key = key
        self.signature = signature
        self.signedAt = signedAt
    }

    /// The element as a JSON object.
    public var json: JSONValue {
        var members = [JSONMember("key", .string(key)), JSONMember("sig", .string(Base64.encode(signature)))]
        if let signedAt { members.append(JSONMember("signed_at", .string(signedAt))) }
        return .object(members)
    }

    /// Writes JCS of a sorted signature array, the same bytes as `JCS.write(.array(sigs.map(\.json)))` without
    /// building the JSON values: members `key`, `sig`, then `signed_at` when present; base64 needs no escaping.
    static func writeArray(_ sigs: [EntrySignature], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        for (index, sig) in sigs.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: #"{"key":"#.utf8)
            JCS.writeString(sig.key, to: &out)
            out.append(contentsOf: #","sig":""#.utf8)
            out.append(contentsOf: Base64.encode(sig.signature).utf8)
            out.append(UInt8(ascii: "\""))
            if let signedAt = sig.signedAt {
                out.append(contentsOf: #","signed_at":"#.utf8)
                JCS.writeString(signedAt, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "]"))
    }

    /// Parses one `sigs` element: `key` and `sig`, plus `signed_at` where the version allows it.
    static func parse(_ value: JSONValue, version: Int64) throws(EntryFormatError) -> EntrySignature {
        guard let members = value.objectMembers else { throw .init("a sigs element is not an object") }
        let withTime = version == EntryBody.statementVersion && value.member("signed_at") != nil
        try EntryFormatError.requireExactMembers(
            members, withTime ? ["key", "sig", "signed_at"] : ["key", "sig"], in: "sigs element")
        let signedAt: String??
        if withTime {
            signedAt = .some(value.member("signed_at")?.stringValue)
        } else {
            signedAt = .none
        }
        return try checked(
            key: value.member("key")?.stringValue, sig: value.member("sig")?.stringValue, signedAt: signedAt)
    }

    /// One `sigs` element from its member values as read (nil where a member is not a string; `signedAt` is
    /// `.none` when the element has no such member), checked: the one place that decides them for both readers
    /// of records.
    static func checked(key: String?, sig sigText: String?, signedAt: String??) throws(EntryFormatError)
        -> EntrySignature
    {
        guard let key, Hex.isCanonical(key, byteCount: 32) else {
            throw .init("sigs key is not a key id (64 lowercase hex)")
        }
        guard let sigText, let signature = Base64.decodeCanonical(sigText), signature.count == 64 else {
            throw .init("signature by key \(key.prefix(12))… is not canonical base64 of 64 bytes")
        }
        guard case .some(let member) = signedAt else { return EntrySignature(key: key, signature: signature) }
        guard let text = member, LedgerTime.isValid(text) else {
            throw .init("signed_at of the signature by key \(key.prefix(12))… is not YYYY-MM-DDTHH:MM:SS.sssZ")
        }
        return EntrySignature(key: key, signature: signature, signedAt: text)
    }

    /// Appends `sig` to elements read so far, which must stay sorted by key with each key once.
    static func append(_ sig: EntrySignature, to sigs: inout [EntrySignature]) throws(EntryFormatError) {
        if let last = sigs.last, !last.key.utf8.lexicographicallyPrecedes(sig.key.utf8) {
            throw .init("sigs are not sorted by key with each key once")
        }
        sigs.append(sig)
    }
}

/// The messages that entry signers sign (FORMAT.md §3.2, and §12.4 for version 2).
public enum SigningMessage {
    private static let entryPrefix = Array("custody-ledger/v1 entry\n".utf8)
    private static let statementPrefix = Array("custody-ledger/v2 statement\n".utf8)
    private static let coSignaturePrefix = Array("custody-ledger/v2 co-signature\n".utf8)

    /// "custody-ledger/v2 statement\n" ‖ hex(statement hash) ‖ "\n", signed by a version-2 statement's actor.
    public static func statement(hash: [UInt8]) -> [UInt8] {
        var message = statementPrefix
        message.reserveCapacity(statementPrefix.count + 65)
        message.append(contentsOf: Hex.encode(hash).utf8)
        message.append(0x0a)
        return message
    }

    /// "custody-ledger/v2 log-key-rotation\n" ‖ hex(genesis) ‖ "\n" ‖ new vkey ‖ "\n": what the old and the new log
    /// key both sign for `ledger.log-key-rotated` (FORMAT.md §12.10), bound to this ledger's genesis.
    public static func logKeyRotation(genesis: String, newVKey: String) -> [UInt8] {
        Array("custody-ledger/v2 log-key-rotation\n\(genesis)\n\(newVKey)\n".utf8)
    }

    /// "custody-ledger/v2 co-signature\n" ‖ hex(statement hash) ‖ "\n" ‖ signed_at ‖ "\n", signed by a co-signer
    /// (a witnessing officer) at their own moment.
    public static func coSignature(statementHash: [UInt8], signedAt: String) -> [UInt8] {
        var message = coSignaturePrefix
        message.append(contentsOf: Hex.encode(statementHash).utf8)
        message.append(0x0a)
        message.append(contentsOf: signedAt.utf8)
        message.append(0x0a)
        return message
    }

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
    /// The largest record, in bytes, a version-2 ledger accepts: every record fits a C2SP tlog-tiles entry bundle,
    /// whose length prefix is 16 bits (FORMAT.md §12.3).
    public static let maxStatementRecordBytes = 65_535

    /// The largest record of a format version.
    public static func maxRecordBytes(version: Int64) -> Int {
        version == EntryBody.statementVersion ? maxStatementRecordBytes : maxRecordBytes
    }

    /// The body; its signatures are over a message that holds ``bodyHash`` (version 1) or ``statementHash``
    /// (version 2).
    public let body: EntryBody
    /// Signatures sorted by key id.
    public let sigs: [EntrySignature]
    /// SHA-256(JCS(body)).
    public let bodyHash: [UInt8]
    /// Version 2: SHA-256(JCS(statement)), what people sign; empty in version 1.
    public let statementHash: [UInt8]
    /// JCS({"body": body, "sigs": sigs}).
    public let record: [UInt8]
    /// The length of the serialized sigs array at the end of the record (before the closing brace).
    private let sigsLength: Int

    /// Assembles an entry from a body and its signatures (sorted here by key id).
    public init(body: EntryBody, sigs: [EntrySignature]) {
        self.init(body: body, sigs: sigs, statementBytes: body.isStatement ? body.statementCanonicalBytes : [])
    }

    /// Assembles an entry whose statement's JCS bytes (and perhaps hash) are already known (a version-2 body; empty
    /// for version 1).
    init(body: EntryBody, sigs: [EntrySignature], statementBytes: [UInt8], statementHash knownHash: [UInt8]? = nil) {
        let bodyBytes = body.isStatement ? body.canonicalBytes(statement: statementBytes) : body.canonicalBytes
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
        self.statementHash = body.isStatement ? (knownHash ?? SHA256.hash(statementBytes)) : []
        self.streamLinkHex = body.isStatement ? Hex.encode(statementHash) : bodyHashHex
        self.record = record
    }

    init(
        body: EntryBody, sigs: [EntrySignature], bodyHash: [UInt8], statementHash: [UInt8], record: [UInt8],
        sigsLength: Int
    ) {
        self.body = body
        self.sigs = sigs
        self.bodyHash = bodyHash
        self.bodyHashHex = Hex.encode(bodyHash)
        self.statementHash = statementHash
        self.streamLinkHex = body.isStatement ? Hex.encode(statementHash) : bodyHashHex
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
        return Entry(
            body: body, sigs: sorted, bodyHash: bodyHash, statementHash: statementHash, record: record,
            sigsLength: length)
    }

    /// Hex of the body hash.
    public let bodyHashHex: String
    /// What the next entry of the same stream names in `stream_prev`: hex of the body hash (version 1) or of the
    /// statement hash (version 2, FORMAT.md §12.2).
    public let streamLinkHex: String

    /// The message the actor signs: the entry message over the body hash (version 1), the statement message over
    /// the statement hash (version 2).
    public var actorMessage: [UInt8] {
        body.isStatement ? SigningMessage.statement(hash: statementHash) : SigningMessage.entry(bodyHash: bodyHash)
    }

    /// The message a co-signer named in the data signs: the entry message (version 1), the co-signature message
    /// with their own signing time (version 2).
    public func coSignerMessage(signedAt: String?) -> [UInt8]? {
        guard body.isStatement else { return SigningMessage.entry(bodyHash: bodyHash) }
        guard let signedAt else { return nil }
        return SigningMessage.coSignature(statementHash: statementHash, signedAt: signedAt)
    }

    /// Parses and checks a record's form (FORMAT.md §7 rule 1, §12.7 rule 1): size, JSON profile, canonical bytes,
    /// members, body field types and patterns, signature element form and order.
    public static func parse(record: [UInt8]) throws(EntryFormatError) -> Entry {
        var repeated = RepeatedStrings()
        return try parse(record: record, repeated: &repeated)
    }

    /// ``parse(record:)`` sharing the strings that repeat from record to record with the records read before through
    /// `repeated`.
    package static func parse(record: [UInt8], repeated: inout RepeatedStrings) throws(EntryFormatError) -> Entry {
        // Every record a ledger holds is canonical: read in its known layout, proving the form while reading; any
        // other bytes are read in full, which says what is wrong.
        if let entry = parseCanonical(record, repeated: &repeated) { return entry }
        return try parseInFull(record: record)
    }

    /// ``parse(record:)`` by parsing the record as any JSON text, then serializing it again to compare.
    package static func parseInFull(record: [UInt8]) throws(EntryFormatError) -> Entry {
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
        let limit = maxRecordBytes(version: body.version)
        guard record.count <= limit else {
            throw .init("record is \(record.count) bytes, over the limit of \(limit)")
        }
        guard let sigValues = json.member("sigs")?.arrayValue, !sigValues.isEmpty else {
            throw .init("sigs is not a non-empty array")
        }
        var sigs: [EntrySignature] = []
        for value in sigValues {
            try EntrySignature.append(EntrySignature.parse(value, version: body.version), to: &sigs)
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
        var statementHash: [UInt8] = []
        if body.isStatement, let range = statementRange(inCanonicalBody: canonical[8..<bodyEnd]) {
            statementHash = canonical[range].withUnsafeBytes { SHA256.hash($0) }
        }
        return Entry(
            body: body, sigs: sigs, bodyHash: bodyHash, statementHash: statementHash, record: record,
            sigsLength: sigsLength)
    }

    /// Where the statement lies in a canonical version-2 body: `{"prev":"<64 hex>","seq":N,"statement":` before it,
    /// `,"time":"<24 characters>","v":2}` after it (FORMAT.md §12.3; the statement's JCS bytes are a slice of the
    /// body's).
    static func statementRange(inCanonicalBody body: ArraySlice<UInt8>) -> Range<Int>? {
        let head = #"{"prev":""#.utf8.count + 64 + #"","seq":"#.utf8.count
        let statementMarker = Array(#","statement":"#.utf8)
        let tail = #","time":""#.utf8.count + 24 + #"","v":2}"#.utf8.count
        var index = body.startIndex + head
        while index < body.endIndex, body[index] >= 0x30, body[index] <= 0x39 { index += 1 }
        guard body.endIndex - index > statementMarker.count + tail,
            body[index..<(index + statementMarker.count)].elementsEqual(statementMarker)
        else { return nil }
        return (index + statementMarker.count)..<(body.endIndex - tail)
    }

    /// The message `signature`'s key must have signed for this entry, or nil when that key is not a possible
    /// signer (or, in version 2, a co-signer's element lacks its `signed_at`).
    ///
    /// The actor signs the entry message (version 1) or the statement message (version 2); a key being
    /// registered by someone else signs its key request; a co-signer that `table` names for the type (a witnessing
    /// officer) signs the entry message (version 1) or the co-signature message with its own time (version 2).
    public func signedMessage(for signature: EntrySignature, table: TypeTable) -> [UInt8]? {
        body.signedMessage(
            for: signature, table: table, actorMessage: actorMessage, coSignerMessage: coSignerMessage(signedAt:))
    }
}

extension EntryBody {
    /// The one place that decides which message a signer of this body signed (FORMAT.md §3.2, §12.4), given the
    /// body's actor message and its co-signer message for a signing time; nil for a key that is no possible signer
    /// or whose element's `signed_at` does not fit its part.
    func signedMessage(
        for signature: EntrySignature, table: TypeTable, actorMessage: @autoclosure () -> [UInt8],
        coSignerMessage: (String?) -> [UInt8]?
    ) -> [UInt8]? {
        let keyID = signature.key
        if keyID.hasSameBytes(as: actor) { return signature.signedAt == nil ? actorMessage() : nil }
        if type == EventTypes.keyRegistered, let request = KeyRequest(registrationData: data, ledger: ledger),
            let registered = data.member("key")?.stringValue, registered.hasSameBytes(as: keyID)
        {
            return signature.signedAt == nil ? request.message : nil
        }
        if let rule = table.rule(type, version: version), case .dataKey(let member) = rule.coSigner,
            let named = data.member(member)?.stringValue, named.hasSameBytes(as: keyID)
        {
            return coSignerMessage(signature.signedAt)
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
    private var repeated = RepeatedStrings()

    /// A decoder that shares no strings yet.
    public init() {}

    /// The body of `record`.
    public mutating func body(of record: [UInt8]) throws(EntryFormatError) -> EntryBody {
        if let range = Entry.canonicalBodyRange(record) {
            if let body = canonicalBody(record, range) { return body }
            if let body = canonicalStatementBody(record, range) { return body }
        }
        return try EntryBody.parse(record: record)
    }

    /// A version-2 body read in JCS member order (FORMAT.md §12.2–12.3), or nil when laid out otherwise; the values
    /// are then checked as the full parser checks them.
    package mutating func canonicalStatementBody(_ record: [UInt8], _ range: Range<Int>) -> EntryBody? {
        record.withUnsafeBufferPointer { all -> EntryBody? in
            // The body alone is at depth 1 here, as EntryBody.parse(record:) reads it: the statement's members at 3.
            var cursor = JSONCursor(UnsafeBufferPointer(rebasing: all[range]), profile: .ledgerV1)
            guard cursor.skip(#"{"prev":"#),
                let (body, _) = try? Entry.readStatementBody(&cursor, dataDepth: 3, repeated: &repeated),
                cursor.isAtEnd
            else { return nil }
            return body
        }
    }

    /// The body read in JCS member order, or nil when the bytes are laid out otherwise or do not check.
    mutating func canonicalBody(_ record: [UInt8], _ range: Range<Int>) -> EntryBody? {
        record.withUnsafeBufferPointer { all -> EntryBody? in
            // The body alone is at depth 1 here, as EntryBody.parse(record:) reads it: its members at 2.
            var cursor = JSONCursor(UnsafeBufferPointer(rebasing: all[range]), profile: .ledgerV1)
            guard cursor.skip(#"{"actor":"#),
                let body = try? Entry.readV1Body(&cursor, memberDepth: 2, repeated: &repeated), cursor.isAtEnd
            else { return nil }
            return body
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
    /// What a store needs of a stream's newest record to chain the next entry onto it, found without parsing the
    /// record as JSON: its body hash, the hash the next entry names in `stream_prev` (the body hash in version 1,
    /// the statement hash in version 2), its `stream_rev` and its `time`; nil when the bytes do not have the
    /// expected shape.
    ///
    /// In JCS text a quote inside a string is always escaped, so the byte sequences `,"sigs":[`, `"stream_rev":`
    /// and `"time":"` occur unescaped only as member names. The record's members are `body` then `sigs`, so the
    /// last `,"sigs":[` ends the body; members are sorted, and `stream_rev` and `time` follow `data` (and, in
    /// version 2, the body's `time` follows the whole statement), so their last occurrences in the body are the
    /// entry's own. Only for records a store wrote after parsing them; `ledger verify` checks every record fully.
    public static func canonicalBodyFacts(_ record: [UInt8]) -> (
        bodyHash: [UInt8], link: [UInt8], streamRev: Int64, time: String
    )? {
        let revMarker = Array("\"stream_rev\":".utf8)
        let timeMarker = Array("\"time\":\"".utf8)
        guard let range = canonicalBodyRange(record) else { return nil }
        let body = record[range]
        guard let revStart = lastIndex(of: revMarker, in: body), let timeStart = lastIndex(of: timeMarker, in: body),
            timeStart + timeMarker.count + 24 <= body.endIndex
        else { return nil }
        var rev: Int64 = 0
        var index = revStart + revMarker.count
        var digits = 0
        while index < body.endIndex, body[index] >= 0x30, body[index] <= 0x39, digits < 17 {
            rev = rev * 10 + Int64(body[index] - 0x30)
            index += 1
            digits += 1
        }
        guard digits > 0 else { return nil }
        let timeBytes = body[(timeStart + timeMarker.count)..<(timeStart + timeMarker.count + 24)]
        let time = String(decoding: timeBytes, as: UTF8.self)
        let bodyHash = body.withUnsafeBytes { SHA256.hash($0) }
        // A version-2 body begins with its `prev` member; a version-1 body with `actor`.
        guard body.starts(with: #"{"prev":"#.utf8) else { return (bodyHash, bodyHash, rev, time) }
        guard let statement = statementRange(inCanonicalBody: body) else { return nil }
        return (bodyHash, record[statement].withUnsafeBytes { SHA256.hash($0) }, rev, time)
    }

    /// Where the body of a canonical record lies: after `{"body":`, before the last `,"sigs":[`.
    private static let bodyPrefix = Array("{\"body\":".utf8)
    private static let sigsMarker = Array(",\"sigs\":[".utf8)

    package static func canonicalBodyRange(_ record: [UInt8]) -> Range<Int>? {
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
