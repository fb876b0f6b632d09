import CustodyDomain
import LedgerApp
import LedgerCore
import LedgerCrypto
import LedgerSQLite
import LedgerStores

/// A real ledger with a cast of officers, for custody tests: each event goes through the appender's decide step.
public struct CustodyFixture {
    public let ledger: LedgerFixture
    public private(set) var keys: [String: Ed25519PrivateKey] = [:]
    public static let caseID = "CASE-1"

    /// People and their roles.
    public static let cast: [(person: String, roles: [String])] = [
        ("carol", [Roles.caseOfficer, Roles.custodian]), ("bob", [Roles.custodian]), ("dan", [Roles.custodian]),
        ("erin", [Roles.examiner]), ("tina", [Roles.takedownOfficer]), ("sam", [Roles.supervisor]),
        ("audrey", [Roles.auditor]),
    ]

    /// A ledger of format `format` with the cast registered and, unless `openCase` is false, case CASE-1 opened by
    /// carol; in SQLite unless other `stores` are given.
    public init(
        openCase: Bool = true, stores: any LedgerStoreProvider = StandardStores(),
        format: Int64 = EntryBody.statementVersion
    ) throws {
        ledger = try LedgerFixture(stores: stores, format: format)
        keys["ada"] = ledger.admin
        for member in Self.cast {
            keys[member.person] = try ledger.register(
                name: "Officer " + member.person, person: member.person, roles: member.roles)
        }
        if openCase {
            try record(
                CustodyEvents.caseOpened, "case/\(Self.caseID)",
                ["title": "Test case", "legal_basis": "Test warrant", "agencies": ["Test Agency"]], by: "carol")
        }
    }

    /// Registers one more person (of another agency, say) and keeps their key with the cast's.
    public mutating func add(_ person: String, roles: [String], agency: String) throws {
        keys[person] = try ledger.register(name: "Officer " + person, person: person, roles: roles, agency: agency)
    }

    /// The key of a cast member.
    public func key(_ person: String) throws -> Ed25519PrivateKey {
        guard let key = keys[person] else { throw LedgerError.usage("no key for \(person)") }
        return key
    }

    /// Decides and appends one event signed by `person` (and `coSigners`); returns its seq.
    @discardableResult
    public func record(
        _ type: String, _ stream: String, _ data: JSONValue, by person: String, coSigners: [String] = []
    ) throws -> Int64 {
        let draft = EventDraft(
            type: type, stream: stream, data: data, signer: try key(person),
            coSigners: try coSigners.map { try key($0) })
        return try Appender.append([draft], to: ledger.store).seqs[0]
    }

    /// The data of a seizure of `kind` in CASE-1 sealed with `seal`.
    public static func seizure(kind: String = "laptop", seal: String? = "S-1", caseID: String = caseID) -> JSONValue {
        var members: [JSONMember] = [
            JSONMember("case", .string(caseID)), JSONMember("exhibit", "X/1"), JSONMember("kind", .string(kind)),
            JSONMember("description", "Grey laptop"), JSONMember("location", "Room B"),
            JSONMember("occurred_at", "2024-05-01T06:00:00+02:00"), JSONMember("seized_from", "Flat 3"),
            JSONMember("legal_authority", "Warrant 1"),
        ]
        if let seal { members.append(JSONMember("seal", .string(seal))) }
        return .object(members)
    }

    /// Seizes item `id` by `person`; returns the seq.
    @discardableResult
    public func seize(_ id: String, by person: String = "carol", seal: String? = "S-1") throws -> Int64 {
        try record(CustodyEvents.itemSeized, "item/\(id)", Self.seizure(seal: seal), by: person)
    }

    /// The item's projection.
    public func item(_ id: String) throws -> ItemRecord? { try CustodyQueries.item(id, in: ledger.store)?.0 }

    /// The number of entries.
    public func count() throws -> Int64 { try ledger.count() }
}

extension LedgerBuilder {
    /// A ledger written by a tool that skipped the custody rules.
    ///
    /// Carol seizes EV-1 in case C, then bob, who never held it, releases it. Returns the builder and the forged
    /// release.
    public static func releaseByNonHolder() -> (LedgerBuilder, Entry) {
        var builder = LedgerBuilder()
        let carol = builder.register(name: "Carol", person: "carol", roles: [Roles.caseOfficer, Roles.custodian])
        let bob = builder.register(name: "Bob", person: "bob", roles: [Roles.custodian])
        builder.append(
            type: CustodyEvents.caseOpened, stream: "case/C",
            data: ["title": "T", "legal_basis": "L", "agencies": ["A"]], signer: carol)
        builder.append(
            type: CustodyEvents.itemSeized, stream: "item/EV-1", data: CustodyFixture.seizure(caseID: "C"),
            signer: carol)
        let forged = builder.append(
            type: CustodyEvents.custodyReleased, stream: "item/EV-1",
            data: ["to": "bob", "purpose": "x", "seal": "S-1"], signer: bob)
        return (builder, forged)
    }
}
