import LedgerCrypto

/// Event type names defined by the core.
public enum EventTypes {
    /// Seq 1: names the origin and the log key (FORMAT.md §5).
    public static let ledgerCreated = "ledger.created"
    /// Registers a person's key with its roles, signed by an admin and by the new key.
    public static let keyRegistered = "key.registered"
    /// Revokes a key, optionally reporting it compromised since an earlier seq (FORMAT.md §4.4).
    public static let keyRevoked = "key.revoked"
    /// An operator's remark about the ledger itself.
    public static let ledgerNote = "ledger.note"
    /// Version 2: checkpoints are signed by a new log key from this entry on, signed by the old and the new log key
    /// (FORMAT.md §12.10).
    public static let logKeyRotated = "ledger.log-key-rotated"
}

/// Role names (FORMAT.md §4.2); the core knows `admin`, a domain adds its own in an extension.
public enum Roles {
    /// Manages keys; the only role the core's rules refer to.
    public static let admin = "admin"
}

/// Which streams an event type may be appended to.
public enum StreamPattern: Sendable {
    /// Exactly this stream name.
    case exact(String)
    /// `<prefix><key id>`.
    case keyStream(prefix: String)
    /// `<prefix><id>`, the id matching `[A-Za-z0-9._-]{1,64}` (`case/`, `item/`, `target/`).
    case localStream(prefix: String)
    /// Any of the listed patterns.
    case anyOf([StreamPattern])

    func matches(_ stream: String) -> Bool {
        switch self {
        case .exact(let name): return stream == name
        case .keyStream(let prefix):
            guard stream.hasPrefix(prefix) else { return false }
            return Hex.isCanonicalKeyID(String(stream.dropFirst(prefix.count)))
        case .localStream(let prefix):
            guard stream.hasPrefix(prefix) else { return false }
            return Identifiers.isLocalID(String(stream.dropFirst(prefix.count)))
        case .anyOf(let patterns):
            return patterns.contains { $0.matches(stream) }
        }
    }

    /// The pattern as FORMAT.md writes it.
    public var description: String {
        switch self {
        case .exact(let name): name
        case .keyStream(let prefix): "\(prefix)<key id>"
        case .localStream(let prefix): "\(prefix)<id>"
        case .anyOf(let patterns): patterns.map(\.description).joined(separator: " or ")
        }
    }
}

/// Who must sign an entry besides its actor.
public enum CoSigner: Sendable, Equatable {
    /// No one: the actor signs alone.
    case none
    /// The key a `key.registered` entry registers (its proof of possession, FORMAT.md §3.2).
    case registeredKey
    /// The key named by this data member, when present (a witnessing officer); it signs the entry like the actor.
    case dataKey(String)
}

/// One row of the type table (FORMAT.md §5).
public struct EventTypeRule: Sendable {
    /// The event type name, such as `key.registered`.
    public let type: String
    /// The streams entries of this type may be appended to.
    public let stream: StreamPattern
    /// Roles allowed to act.
    ///
    /// Empty: only as the genesis rules allow.
    public let actorRoles: Set<String>
    /// The key named by the stream (`key/<key id>`) may act on its own stream.
    public let subjectKeyMayAct: Bool
    /// Who must sign besides the actor; the signers must be exactly these.
    public let coSigner: CoSigner
    /// The schema the entry's `data` must match exactly.
    public let data: DataSchema
    /// Data members an `entry.corrected` may correct: descriptive text, never who, seals or hashes.
    public let correctable: [String]

    /// A row; `actorRoles`, `coSigner` and `data` are checked by ``EntryRules`` for every entry of `type`.
    public init(
        type: String, stream: StreamPattern, actorRoles: Set<String>, subjectKeyMayAct: Bool = false,
        coSigner: CoSigner = .none, data: DataSchema, correctable: [String] = []
    ) {
        self.type = type
        self.stream = stream
        self.actorRoles = actorRoles
        self.subjectKeyMayAct = subjectKeyMayAct
        self.coSigner = coSigner
        self.data = data
        self.correctable = correctable
    }
}

/// The type table (FORMAT.md §5): every event type a ledger may contain, with who may sign it and its data.
///
/// A value, so that the log core knows no domain: a domain builds one from the core's rows and its own
/// (the custody domain's is `TypeTable.custody`), and every rule check and replay is given it.
public struct TypeTable: Sendable {
    /// All rows, by type name.
    public let rules: [String: EventTypeRule]
    /// Every row, in the order given: the core's, then the domain's.
    public let rows: [EventTypeRule]
    /// Every role name a key may be registered with.
    public let roles: [String]
    /// The rows a version-2 ledger follows instead of the version-1 rows of the same types.
    ///
    /// New or relaxed data members and rules (docs/EVENTS.md §8); version-1 ledgers never see them.
    public let version2Rows: [EventTypeRule]
    private let rulesV2: [String: EventTypeRule]

    /// The core's rows with `roles` as the registrable roles and `noteRoles` besides `admin` allowed to sign a
    /// `ledger.note`, followed by a domain's `rows`; `version2Rows` replace rows of the same type in a version-2
    /// ledger.
    public init(
        roles: [String], noteRoles: Set<String> = [], domainRows: [EventTypeRule], version2Rows: [EventTypeRule] = []
    ) {
        let rows = Self.coreRules(roles: roles, noteRoles: noteRoles) + domainRows
        var table: [String: EventTypeRule] = [:]
        for rule in rows { table[rule.type] = rule }
        self.rules = table
        self.rows = rows
        self.roles = roles
        self.version2Rows = version2Rows
        var tableV2 = table
        for rule in version2Rows { tableV2[rule.type] = rule }
        self.rulesV2 = tableV2
    }

    /// The version-1 row of `type`, compared byte for byte (a dictionary lookup alone would equate canonically
    /// equivalent names).
    public func rule(_ type: String) -> EventTypeRule? { rule(type, version: 1) }

    /// The row of `type` a ledger of format `version` follows, compared byte for byte.
    public func rule(_ type: String, version: Int64) -> EventTypeRule? {
        guard let rule = (version >= 2 ? rulesV2 : rules)[type], rule.type.hasSameBytes(as: type) else { return nil }
        return rule
    }

    /// Whether some event type of a ledger of format `version` may be appended to `stream`: a name no row
    /// allows (`EV-1` for `item/EV-1`) can hold no entry.
    public func allowsSomeType(inStream stream: String, version: Int64) -> Bool {
        rows.contains { ((version >= 2 ? rulesV2[$0.type] : nil) ?? $0).stream.matches(stream) }
    }

    /// Every row a ledger of format `version` follows, in the table's order.
    public func rows(version: Int64) -> [EventTypeRule] {
        version >= 2 ? rows.map { rulesV2[$0.type] ?? $0 } : rows
    }

    /// The rows the ledger core defines.
    public static func coreRules(roles: [String], noteRoles: Set<String>) -> [EventTypeRule] {
        [
            EventTypeRule(
                type: EventTypes.ledgerCreated, stream: .exact("ledger"), actorRoles: [], subjectKeyMayAct: false,
                coSigner: .none, data: DataSchema(version: 1, [FieldSchema("log_vkey", .vkey)])),
            EventTypeRule(
                type: EventTypes.keyRegistered, stream: .keyStream(prefix: "key/"), actorRoles: [Roles.admin],
                subjectKeyMayAct: false, coSigner: .registeredKey,
                data: DataSchema(
                    version: 1,
                    [
                        FieldSchema("agency", .text(max: 200)),
                        FieldSchema("key", .keyID),
                        FieldSchema("name", .text(max: 200)),
                        FieldSchema("person", .personID),
                        FieldSchema("public_key", .ed25519PublicKey),
                        FieldSchema("roles", .list(of: .oneOf(roles), minCount: 1)),
                    ])),
            EventTypeRule(
                type: EventTypes.keyRevoked, stream: .keyStream(prefix: "key/"), actorRoles: [Roles.admin],
                subjectKeyMayAct: true, coSigner: .none,
                data: DataSchema(
                    version: 1,
                    [
                        FieldSchema("reason", .freeText(max: 1000)),
                        FieldSchema(
                            "compromised_since_seq", .integer(min: 1, max: JSONValue.maxSafeInteger),
                            required: false),
                    ])),
            EventTypeRule(
                type: EventTypes.ledgerNote, stream: .exact("ledger"), actorRoles: noteRoles.union([Roles.admin]),
                subjectKeyMayAct: false, coSigner: .none,
                data: DataSchema(version: 1, [FieldSchema("text", .freeText(max: 10_000))])),
            EventTypeRule(
                type: EventTypes.logKeyRotated, stream: .exact("ledger"), actorRoles: [Roles.admin],
                subjectKeyMayAct: false, coSigner: .none,
                data: DataSchema(
                    version: 2,
                    [
                        FieldSchema("log_vkey", .vkey), FieldSchema("new_key_sig", .signature),
                        FieldSchema("old_key_sig", .signature),
                    ])),
        ]
    }
}

extension Hex {
    package static func isCanonicalKeyID(_ text: String) -> Bool { isCanonical(text, byteCount: 32) }
}

extension EventTypeRule {
    /// Who may act, in words.
    public var actorDescription: String {
        var parts = actorRoles.sorted().map { "`\($0)`" }
        if subjectKeyMayAct { parts.append("the key of the stream itself") }
        return parts.isEmpty ? "genesis only" : parts.joined(separator: ", ")
    }

    /// The required signers, in words.
    public var signerDescription: String {
        switch coSigner {
        case .none: "actor"
        case .registeredKey: "actor, and the registered key"
        case .dataKey(let member): "actor, and the key in `\(member)` when present"
        }
    }

    /// The data members, in words: required ones, then `optional …`.
    public var dataDescription: String {
        let required = data.fields.filter(\.required).map { "`\($0.name)`" }
        let optional = data.fields.filter { !$0.required }.map { "`\($0.name)`" }
        return (required + (optional.isEmpty ? [] : ["optional " + optional.joined(separator: ", ")]))
            .joined(separator: ", ")
    }

    /// The row of FORMAT.md §5's table for this type (the docs are checked against it by a test).
    public var markdownRow: String {
        let streams: String
        if case .anyOf(let patterns) = stream {
            streams = patterns.map { "`\($0.description)`" }.joined(separator: " or ")
        } else {
            streams = "`\(stream.description)`"
        }
        return "| `\(type)` | \(streams) | \(actorDescription) | \(signerDescription) | \(dataDescription) |"
    }
}
