import LedgerCrypto

/// The shape of one value in an event's data (FORMAT.md §5).
///
/// Declarative, so that new event types are new rows of the type table, not new verifier code.
public indirect enum ValueSchema: Sendable {
    /// A name: 1…max Unicode scalars, no control characters (general category Cc: U+0000–U+001F, U+007F–U+009F).
    case text(max: Int)
    /// Free text: 1…max Unicode scalars; may hold line feeds and tabs but no other control characters.
    case freeText(max: Int)
    /// A person id (FORMAT.md §4.1).
    case personID
    /// A key id: 64 lowercase hex.
    case keyID
    /// Canonical base64 of a valid raw Ed25519 public key.
    case ed25519PublicKey
    /// A C2SP vkey.
    case vkey
    /// Canonical base64 of a 64-byte Ed25519 signature.
    case signature
    /// An integer in a range.
    case integer(min: Int64, max: Int64)
    /// One of a fixed set of strings.
    case oneOf([String])
    /// An array of at least `minCount` distinct elements.
    case list(of: ValueSchema, minCount: Int)
    /// `true` or `false`.
    case boolean
    /// An id that names a case, item or target within its stream name: `[A-Za-z0-9._-]{1,64}`.
    case localID
    /// An RFC 3339 date-time with a UTC offset or `Z` (when something physically happened).
    case timestamp
    /// An ISO 3166-1 alpha-2 country code: two uppercase ASCII letters.
    case country
    /// Digests of one file or medium: `[{alg, value}]`, algs distinct among `md5`, `sha1`, `sha256`, values lowercase
    /// hex of the algorithm's length, SHA-256 always present.
    case hashes
    /// Digests a tool reported for a source medium: as ``hashes``, but any of `md5`, `sha1`, `sha256` may stand alone
    /// (imaging tools often report MD5 and SHA-1 only). Version 2.
    case sourceHashes
    /// A nested object with its own members.
    case object([FieldSchema])

    /// Checks `value`; `path` names it in an error, and is made only then.
    package func check(_ value: JSONValue, path: @autoclosure () -> String) throws(CoreError) {
        switch self {
        case .text(let max):
            guard let text = value.stringValue, Identifiers.isDisplayText(text, max: max) else {
                throw .rule("\(path()) must be text of 1 to \(max) characters without control characters")
            }
        case .freeText(let max):
            guard let text = value.stringValue, Identifiers.isFreeText(text, max: max) else {
                throw .rule(
                    "\(path()) must be text of 1 to \(max) characters without control characters other than line feed and tab"
                )
            }
        case .personID:
            guard let text = value.stringValue, Identifiers.isPersonID(text) else {
                throw .rule("\(path()) must be a person id ([A-Za-z0-9._@-], 1 to 64 characters)")
            }
        case .keyID:
            guard let text = value.stringValue, Hex.isCanonical(text, byteCount: 32) else {
                throw .rule("\(path()) must be a key id (64 lowercase hex digits)")
            }
        case .ed25519PublicKey:
            guard let text = value.stringValue, let raw = Base64.decodeCanonical(text) else {
                throw .rule("\(path()) must be canonical base64")
            }
            do { _ = try Ed25519PublicKey(raw: raw) } catch {
                throw .rule("\(path()) is not a valid Ed25519 public key: \(error)")
            }
        case .signature:
            guard let text = value.stringValue, let bytes = Base64.decodeCanonical(text), bytes.count == 64 else {
                throw .rule("\(path()) must be canonical base64 of a 64-byte Ed25519 signature")
            }
        case .vkey:
            guard let text = value.stringValue else { throw .rule("\(path()) must be a vkey string") }
            do { _ = try NoteVerifierKey(vkey: text) } catch { throw .rule("\(path()) is not a valid vkey: \(error)") }
        case .integer(let min, let max):
            guard let number = value.integerValue, number >= min, number <= max else {
                throw .rule("\(path()) must be an integer from \(min) to \(max)")
            }
        case .oneOf(let allowed):
            guard let text = value.stringValue, allowed.contains(where: { $0.hasSameBytes(as: text) }) else {
                throw .rule("\(path()) must be one of \(allowed.joined(separator: ", "))")
            }
        case .list(let element, let minCount):
            guard let values = value.arrayValue, values.count >= minCount else {
                throw .rule("\(path()) must be an array of at least \(minCount)")
            }
            for (index, item) in values.enumerated() {
                try element.check(item, path: "\(path())[\(index)]")
                if values[..<index].contains(item) {
                    throw .rule("\(path()) lists \(String(decoding: JCS.serialize(item), as: UTF8.self)) twice")
                }
            }
        case .boolean:
            guard case .bool = value else { throw .rule("\(path()) must be true or false") }
        case .localID:
            guard let text = value.stringValue, Identifiers.isLocalID(text) else {
                throw .rule("\(path()) must be an id of 1 to 64 characters [A-Za-z0-9._-]")
            }
        case .timestamp:
            guard let text = value.stringValue, Identifiers.isRFC3339(text) else {
                throw .rule("\(path()) must be an RFC 3339 date and time with offset, e.g. 2024-06-01T14:05:00+02:00")
            }
        case .country:
            guard let text = value.stringValue, text.utf8.count == 2,
                text.utf8.allSatisfy({ (0x41...0x5a).contains($0) })
            else { throw .rule("\(path()) must be an ISO 3166-1 alpha-2 country code (two capital letters)") }
        case .hashes:
            try Self.checkHashes(value, path: path(), requiringSHA256: true)
        case .sourceHashes:
            try Self.checkHashes(value, path: path(), requiringSHA256: false)
        case .object(let fields):
            try DataSchema.checkMembers(value, fields: fields, path: path())
        }
    }

    /// Hex digits per algorithm of a hash entry.
    public static let hashLengths: [(alg: String, hexDigits: Int)] = [("md5", 32), ("sha1", 40), ("sha256", 64)]

    private static func checkHashes(
        _ value: JSONValue, path: @autoclosure () -> String, requiringSHA256: Bool
    ) throws(CoreError) {
        guard let values = value.arrayValue, !values.isEmpty else {
            throw .rule("\(path()) must be a non-empty array of {alg, value} hashes")
        }
        var seen: [String] = []
        for (index, item) in values.enumerated() {
            func itemPath() -> String { "\(path())[\(index)]" }
            guard let members = item.objectMembers, members.count == 2, let alg = item.member("alg")?.stringValue,
                let hex = item.member("value")?.stringValue
            else { throw .rule("\(itemPath()) must be exactly {\"alg\": …, \"value\": …}") }
            guard let length = hashLengths.first(where: { $0.alg.hasSameBytes(as: alg) })?.hexDigits else {
                throw .rule("\(itemPath()).alg must be one of md5, sha1, sha256")
            }
            guard Hex.isCanonical(hex, byteCount: length / 2) else {
                throw .rule("\(itemPath()).value must be \(length) lowercase hex digits for \(alg)")
            }
            guard !seen.contains(alg) else { throw .rule("\(path()) lists \(alg) twice") }
            seen.append(alg)
        }
        guard !requiringSHA256 || seen.contains("sha256") else { throw .rule("\(path()) must include a sha256 hash") }
    }
}

/// One member of an event's data.
public struct FieldSchema: Sendable {
    /// The member name in the entry's `data`.
    public let name: String
    /// What the member's value must be.
    public let schema: ValueSchema
    /// False when the member may be left out; when present it must still match ``schema``.
    public let required: Bool

    /// A member `name` whose value matches `schema`; required unless `required` is false.
    public init(_ name: String, _ schema: ValueSchema, required: Bool = true) {
        self.name = name
        self.schema = schema
        self.required = required
    }
}

/// A versioned data schema: exactly the listed members, required ones present.
public struct DataSchema: Sendable {
    /// The schema version: 1 for every type of format v1 (FORMAT.md §5); entries do not carry it.
    public let version: Int
    /// The members `data` may have; no others are allowed.
    public let fields: [FieldSchema]

    /// A schema allowing exactly `fields`.
    public init(version: Int, _ fields: [FieldSchema]) {
        self.version = version
        self.fields = fields
    }

    /// Checks `data` against the schema.
    public func check(_ data: JSONValue, type: String) throws(CoreError) {
        guard data.objectMembers != nil else { throw .rule("\(type) data must be an object") }
        try Self.checkMembers(data, fields: fields, path: "data", owner: "\(type) data")
    }

    /// The field named `name`, if the schema has it.
    public func field(_ name: String) -> FieldSchema? { fields.first { $0.name.hasSameBytes(as: name) } }

    /// Checks an object's members against `fields`; `path` and `owner` (the path when nil) name it in an error,
    /// and are made only then (every entry's data is checked, on appends and in verify's replay).
    static func checkMembers(
        _ value: JSONValue, fields: [FieldSchema], path: @autoclosure () -> String,
        owner: @autoclosure () -> String? = nil
    ) throws(CoreError) {
        guard let members = value.objectMembers else { throw .rule("\(path()) must be an object") }
        for member in members
        where !fields.contains(where: { $0.name.hasSameBytes(as: member.name) }) {
            throw .rule("\(owner() ?? path()) has unexpected member \"\(member.name)\"")
        }
        for field in fields {
            guard let member = value.member(field.name) else {
                if field.required { throw .rule("\(owner() ?? path()) lacks member \"\(field.name)\"") }
                continue
            }
            try field.schema.check(member, path: "\(path()).\(field.name)")
        }
    }
}

// The words docs/EVENTS.md states each data member in; TypeTableDocumentationTests keeps the two identical, so a
// bound changed here without its docs fails a test. One place renders every kind.
extension ValueSchema {
    /// The kind and bound of a value, as docs/EVENTS.md states it: "name text of 1–100 scalars".
    public var markdown: String {
        switch self {
        case .text(let max): "name text of 1–\(Self.number(Int64(max))) scalars"
        case .freeText(let max): "free text of 1–\(Self.number(Int64(max))) scalars"
        case .personID: "a person id"
        case .keyID: "a key id (64 lowercase hex digits)"
        case .ed25519PublicKey: "an Ed25519 public key (canonical base64 of its 32 raw bytes)"
        case .vkey: "a C2SP vkey"
        case .signature: "an Ed25519 signature (canonical base64 of 64 bytes)"
        case .integer(let min, let max): "an integer from \(Self.number(min)) to \(Self.number(max))"
        case .oneOf(let allowed): "one of " + allowed.map { "`\($0)`" }.joined(separator: ", ")
        case .list(let element, let minCount):
            switch minCount {
            case ...0: "an array of distinct elements, each \(element.markdown)"
            case 1: "a non-empty array of distinct elements, each \(element.markdown)"
            default: "an array of at least \(minCount) distinct elements, each \(element.markdown)"
            }
        case .boolean: "`true` or `false`"
        case .localID: "a local id"
        case .timestamp: "a timestamp"
        case .country: "an ISO 3166-1 alpha-2 country code (two capital letters)"
        case .hashes: "a hash list"
        case .sourceHashes: "a source hash list"
        case .object(let fields): "an object of exactly {" + fields.map(\.markdown).joined(separator: "; ") + "}"
        }
    }

    /// `n` as the docs write it: 2^53 − 1 by name, thousands grouped from 10,000 on.
    private static func number(_ n: Int64) -> String {
        if n == JSONValue.maxSafeInteger { return "2^53 − 1" }
        let digits = String(n.magnitude)
        guard digits.count > 4 else { return n < 0 ? "−" + digits : digits }
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { grouped.append(",") }
            grouped.append(digit)
        }
        return n < 0 ? "−" + grouped : grouped
    }
}

extension FieldSchema {
    /// The member as docs/EVENTS.md states it: "`seal` — name text of 1–100 scalars", "optional `courier` — …".
    public var markdown: String { (required ? "" : "optional ") + "`\(name)` — \(schema.markdown)" }
}

extension DataSchema {
    /// The data schema of event type `type` as a Markdown list, one member a line, as docs/EVENTS.md holds it; a
    /// version-2 schema says so after the type's name.
    ///
    /// The members are exactly these, in the table's order; no others are allowed.
    public func markdown(type: String) -> String {
        let name = version >= 2 ? "`\(type)` (version \(version))" : "`\(type)`"
        guard !fields.isEmpty else { return "* \(name): no members (`{}`)" }
        return (["* \(name):"] + fields.map { "  * \($0.markdown)" }).joined(separator: "\n")
    }
}
