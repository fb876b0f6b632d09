import CustodyDomain
import Foundation
import LedgerCore
import LedgerCrypto

/// Questions staff ask, answered from the projections (indexed lookups: time independent of the ledger's size).
public enum CustodyQueries {
    /// An item and its custody chain, or nil.
    public static func item(_ id: String, in store: any LedgerStore) throws -> (ItemRecord, [CustodyStep])? {
        try store.read { reader in
            guard let state = try reader.projectionState(.items, key: id) else { return nil }
            let item = try ItemRecord(state: state)
            var steps: [CustodyStep] = []
            try reader.forEachProjectionRow(.custodySteps, where: [("item_id", id)]) { row in
                steps.append(try CustodyStep(state: row.state))
                return true
            }
            return (item, steps)
        }
    }

    /// Items matching every given filter, by id.
    public static func items(
        in store: any LedgerStore, caseID: String? = nil, holder: String? = nil, status: String? = nil
    ) throws -> [ItemRecord] {
        try items(in: store, matching: ItemSearch(caseID: caseID, holder: holder, status: status))
    }

    /// Targets matching every given filter, by id; at most `limit`.
    public static func targets(
        in store: any LedgerStore, caseID: String? = nil, status: String? = nil, category: String? = nil,
        country: String? = nil, limit: Int? = nil
    ) throws -> [TargetRecord] {
        var filters: [(column: String, value: String)] = []
        if let caseID { filters.append(("case_id", caseID)) }
        if let status { filters.append(("status", status)) }
        if let category { filters.append(("category", category)) }
        if let country { filters.append(("country", country)) }
        return try rows(.targets, filters, in: store, limit: limit)
    }

    /// One target, by id.
    public static func target(_ id: String, in store: any LedgerStore) throws -> TargetRecord? {
        try store.read { reader in try reader.projectionState(.targets, key: id).map { try TargetRecord(state: $0) } }
    }

    /// The target of a case with this kind and (normalized) value.
    public static func target(caseID: String, kind: TargetKind, value: String, in store: any LedgerStore) throws
        -> TargetRecord?
    {
        let normalized = try TargetValue.normalize(value, kind: kind)
        return try store.read { reader in
            guard let id = try reader.targetID(caseID: caseID, kind: kind.rawValue, value: normalized) else {
                return nil
            }
            return try reader.projectionState(.targets, key: id).map { try TargetRecord(state: $0) }
        }
    }

    /// Every case, by id.
    public static func cases(in store: any LedgerStore) throws -> [CaseRecord] {
        try rows(.cases, [], in: store, limit: nil)
    }

    /// One case, by id.
    public static func caseRecord(_ id: String, in store: any LedgerStore) throws -> CaseRecord? {
        try store.read { reader in try reader.projectionState(.cases, key: id).map { try CaseRecord(state: $0) } }
    }

    /// Every person, by id.
    public static func people(in store: any LedgerStore) throws -> [PersonRecord] {
        try rows(.people, [], in: store, limit: nil)
    }

    /// One person, by id.
    public static func person(_ id: String, in store: any LedgerStore) throws -> PersonRecord? {
        try store.read { reader in try reader.projectionState(.people, key: id).map { try PersonRecord(state: $0) } }
    }

    private static func rows<Record: ProjectedRecord>(
        _ table: ProjectionTable, _ filters: [(column: String, value: String)], in store: any LedgerStore,
        limit: Int?
    ) throws -> [Record] {
        try store.read { reader in
            var records: [Record] = []
            try reader.forEachProjectionRow(table, where: filters) { row in
                records.append(try Record(state: row.state))
                return limit.map { records.count < $0 } ?? true
            }
            return records
        }
    }

    /// The id the tool gives the target of a case, kind and normalized value: `T-` and 12 hex digits of
    /// SHA-256("<case>\n<kind>\n<value>"), so that the same target always gets the same id.
    public static func targetID(caseID: String, kind: TargetKind, value: String) -> String {
        "T-" + String(Hex.encode(SHA256.hash(Array("\(caseID)\n\(kind.rawValue)\n\(value)".utf8))).prefix(12))
    }
}

/// The operation's headline figures for one case or all, with their denominators.
public struct OperationStats: Sendable {
    /// The ids of the cases summed.
    public var cases: [String] = []
    /// Targets identified, false positives excluded.
    public var identified: Int64 = 0
    /// Targets closed as false positives.
    public var falsePositives: Int64 = 0
    /// Targets taken down.
    public var takenDown: Int64 = 0
    /// Targets whose takedown was not actioned.
    public var notActioned: Int64 = 0
    /// Targets with no outcome yet, in any active status.
    public var pending: Int64 = 0
    /// Per category: (identified, taken down, not actioned), false positives excluded; categories with none left out.
    public var byCategory: [String: (identified: Int64, takenDown: Int64, notActioned: Int64)] = [:]
    /// The same, per country (ISO 3166-1 alpha-2).
    public var byCountry: [String: (identified: Int64, takenDown: Int64, notActioned: Int64)] = [:]
    /// Items seized, by kind.
    public var itemsByKind: [String: Int64] = [:]
    /// Items by status.
    public var itemsByStatus: [String: Int64] = [:]

    /// Per cent of identified targets taken down.
    public var takenDownPercent: Double { identified == 0 ? 0 : Double(takenDown) * 100 / Double(identified) }
    /// Servers seized.
    public var serversSeized: Int64 { itemsByKind["server"] ?? 0 }
    /// Devices seized (every item kind but servers).
    public var devicesSeized: Int64 { itemsByKind.filter { $0.key != "server" }.values.reduce(0, +) }

    /// Sums the figures of the given cases (every case when `caseID` is nil).
    public static func compute(caseID: String?, in store: any LedgerStore) throws -> OperationStats {
        let cases: [CaseRecord]
        if let caseID {
            guard let found = try CustodyQueries.caseRecord(caseID, in: store) else {
                throw LedgerError.notFound("no case \(caseID) (see `ledger case list`)")
            }
            cases = [found]
        } else {
            cases = try CustodyQueries.cases(in: store)
        }
        var stats = OperationStats()
        for record in cases {
            stats.cases.append(record.id)
            let figures = record.figures
            stats.falsePositives += figures.targets[TargetStatus.falsePositive]
            stats.takenDown += figures.targets[TargetStatus.takenDown]
            stats.notActioned += figures.targets[TargetStatus.notActioned]
            stats.pending += figures.targets["pending"]
            func add(
                _ table: [String: TargetBuckets],
                to result: inout [String: (identified: Int64, takenDown: Int64, notActioned: Int64)]
            ) {
                for (key, counts) in table {
                    let identified = counts.total - counts[TargetStatus.falsePositive]
                    guard identified > 0 else { continue }
                    let old = result[key] ?? (0, 0, 0)
                    result[key] = (
                        old.identified + identified, old.takenDown + counts[TargetStatus.takenDown],
                        old.notActioned + counts[TargetStatus.notActioned]
                    )
                }
            }
            add(figures.byCategory, to: &stats.byCategory)
            add(figures.byCountry, to: &stats.byCountry)
            for (kind, count) in figures.itemsByKind { stats.itemsByKind[kind, default: 0] += count }
            for (status, count) in figures.itemsByStatus { stats.itemsByStatus[status, default: 0] += count }
        }
        stats.identified = stats.takenDown + stats.notActioned + stats.pending
        return stats
    }
}

extension OperationStats {
    /// The figures read back from their JSON (what a server answers): the inverse of ``json``.
    public init(json: JSONValue) throws(LedgerError) {
        guard let targets = json.member("targets"), let identified = targets.member("identified")?.integerValue
        else {
            throw .usage("the figures are not the JSON of `ledger stats --json`")
        }
        self.init()
        cases = (json.member("cases")?.arrayValue ?? []).compactMap(\.stringValue)
        self.identified = identified
        falsePositives = targets.member("false_positives")?.integerValue ?? 0
        takenDown = targets.member("taken_down")?.integerValue ?? 0
        notActioned = targets.member("not_actioned")?.integerValue ?? 0
        pending = targets.member("pending")?.integerValue ?? 0
        func table(_ name: String) -> [String: (identified: Int64, takenDown: Int64, notActioned: Int64)] {
            var values: [String: (identified: Int64, takenDown: Int64, notActioned: Int64)] = [:]
            for member in targets.member(name)?.objectMembers ?? [] {
                values[member.name] = (
                    member.value.member("identified")?.integerValue ?? 0,
                    member.value.member("taken_down")?.integerValue ?? 0,
                    member.value.member("not_actioned")?.integerValue ?? 0
                )
            }
            return values
        }
        byCategory = table("by_category")
        byCountry = table("by_country")
        for member in json.member("items_by_kind")?.objectMembers ?? [] {
            itemsByKind[member.name] = member.value.integerValue ?? 0
        }
        for member in json.member("items_by_status")?.objectMembers ?? [] {
            itemsByStatus[member.name] = member.value.integerValue ?? 0
        }
    }

    /// The figures as JSON, as `ledger stats --json` prints them and a server answers.
    public var json: JSONValue {
        let stats = self
        func table(_ values: [String: (identified: Int64, takenDown: Int64, notActioned: Int64)]) -> JSONValue {
            .object(
                values.map { key, counts in
                    JSONMember(
                        key,
                        [
                            "identified": .integer(counts.identified), "taken_down": .integer(counts.takenDown),
                            "not_actioned": .integer(counts.notActioned),
                        ])
                })
        }
        return [
            "cases": .array(stats.cases.map { .string($0) }),
            "targets": [
                "identified": .integer(stats.identified), "false_positives": .integer(stats.falsePositives),
                "taken_down": .integer(stats.takenDown), "not_actioned": .integer(stats.notActioned),
                "pending": .integer(stats.pending),
                "taken_down_percent_of_identified": .string(String(format: "%.1f", stats.takenDownPercent)),
                "by_category": table(stats.byCategory), "by_country": table(stats.byCountry),
            ],
            "servers_seized": .integer(stats.serversSeized), "devices_seized": .integer(stats.devicesSeized),
            "items_by_kind": .object(stats.itemsByKind.map { JSONMember($0.key, .integer($0.value)) }),
            "items_by_status": .object(stats.itemsByStatus.map { JSONMember($0.key, .integer($0.value)) }),
        ]
    }
}
