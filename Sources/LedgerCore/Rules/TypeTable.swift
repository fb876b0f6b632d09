import LedgerCrypto

/// Event type names defined by the core.
public enum EventTypes {
    public static let ledgerCreated = "ledger.created"
    public static let keyRegistered = "key.registered"
    public static let keyRevoked = "key.revoked"
    public static let ledgerNote = "ledger.note"
}

/// The roles of FORMAT.md §4.2.
public enum Roles {
    public static let admin = "admin"
    public static let auditor = "auditor"
    public static let caseOfficer = "case-officer"
    public static let custodian = "custodian"
    public static let examiner = "examiner"
    public static let supervisor = "supervisor"
    public static let takedownOfficer = "takedown-officer"
    /// Every role name a v1 ledger knows.
    public static let all = [
        "admin", "auditor", "case-officer", "custodian", "examiner", "supervisor", "takedown-officer",
    ]
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
    case none
    /// The key a `key.registered` entry registers (its proof of possession, FORMAT.md §3.2).
    case registeredKey
    /// The key named by this data member, when present (a witnessing officer); it signs the entry like the actor.
    case dataKey(String)
}

/// One row of the type table (FORMAT.md §5).
public struct EventTypeRule: Sendable {
    public let type: String
    public let stream: StreamPattern
    /// Roles allowed to act.
    ///
    /// Empty: only as the genesis rules allow.
    public let actorRoles: Set<String>
    /// The key named by the stream (`key/<key id>`) may act on its own stream.
    public let subjectKeyMayAct: Bool
    public let coSigner: CoSigner
    public let data: DataSchema
    /// Data members an `entry.corrected` may correct: descriptive text, never who, seals or hashes.
    public let correctable: [String]

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

/// The type table: every event type a v1 ledger may contain.
public enum TypeTable {
    /// All rows, by type name.
    public static let rules: [String: EventTypeRule] = {
        var table: [String: EventTypeRule] = [:]
        for rule in coreRules + CustodyTypeTable.rules { table[rule.type] = rule }
        return table
    }()

    /// The rows the ledger core defines.
    public static let coreRules: [EventTypeRule] = [
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
                    FieldSchema("roles", .list(of: .oneOf(Roles.all), minCount: 1)),
                ])),
        EventTypeRule(
            type: EventTypes.keyRevoked, stream: .keyStream(prefix: "key/"), actorRoles: [Roles.admin],
            subjectKeyMayAct: true, coSigner: .none,
            data: DataSchema(
                version: 1,
                [
                    FieldSchema("reason", .freeText(max: 1000)),
                    FieldSchema(
                        "compromised_since_seq", .integer(min: 1, max: JSONValue.maxSafeInteger), required: false),
                ])),
        EventTypeRule(
            type: EventTypes.ledgerNote, stream: .exact("ledger"), actorRoles: [Roles.admin, "supervisor"],
            subjectKeyMayAct: false, coSigner: .none,
            data: DataSchema(version: 1, [FieldSchema("text", .freeText(max: 10_000))])),
    ]
}

extension Hex {
    static func isCanonicalKeyID(_ text: String) -> Bool { isCanonical(text, byteCount: 32) }
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
