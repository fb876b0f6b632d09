import LedgerCore
import LedgerCrypto

extension ProjectionTable {
    /// People, by person id.
    public static let people = ProjectionTable(name: "people", columns: ["agency"])
    /// Cases, by case id.
    public static let cases = ProjectionTable(name: "cases", columns: ["status"])
    /// Targets, by target id; one per (case, kind, normalized value).
    public static let targets = ProjectionTable(
        name: "targets", columns: ["case_id", "kind", "value", "status", "category", "country"],
        indexes: [
            ProjectionIndex("targets_by_value", on: ["case_id", "kind", "value"], unique: true),
            ProjectionIndex("targets_by_status", on: ["case_id", "status"]),
        ])
    /// Evidence items, by item id.
    public static let items = ProjectionTable(
        name: "items", columns: ["case_id", "status", "holder", "kind"],
        indexes: [
            ProjectionIndex("items_by_case", on: ["case_id", "status"]),
            ProjectionIndex("items_by_holder", on: ["holder", "status"]),
        ])
    /// Each item's custody steps, in chain order.
    public static let custodySteps = ProjectionTable(
        name: "custody_steps", columns: ["item_id", "seq"],
        indexes: [ProjectionIndex("custody_steps_by_item", on: ["item_id"])])

    /// Every custody projection table, in the order verification compares them.
    public static let all = [people, cases, targets, items, custodySteps]
}

extension ProjectionSchema {
    /// The custody domain's read models (docs/EVENTS.md).
    public static let custody = ProjectionSchema(tables: ProjectionTable.all)
}

extension PersonRecord {
    var row: ProjectionRow { ProjectionRow(table: .people, key: person, columns: [.string(agency)], json: json) }
}

extension CaseRecord {
    var row: ProjectionRow { ProjectionRow(table: .cases, key: id, columns: [.string(status)], json: json) }
}

extension TargetRecord {
    var row: ProjectionRow {
        ProjectionRow(
            table: .targets, key: id,
            columns: [
                .string(caseID), .string(kind), .string(value), .string(status), .string(category), .string(country),
            ], state: state)
    }

    /// JCS(json), written directly: a rebuild serializes one per target, tens of thousands.
    var state: String {
        var writer = JCSObjectWriter()
        writer.integer("asn", asn)
        writer.string("case", caseID)
        writer.string("category", category)
        writer.value("corrections", .array(corrections.map(\.json)))
        writer.string("country", country)
        writer.string("hosting_provider", hostingProvider)
        writer.string("id", id)
        writer.integer("identified_seq", identifiedSeq)
        writer.string("kind", kind)
        writer.integer("last_seq", lastSeq)
        writer.raw("log") { out in
            out.append(UInt8(ascii: "["))
            for (index, entry) in log.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                out.append(UInt8(ascii: "["))
                out.append(contentsOf: String(entry.seq).utf8)
                out.append(UInt8(ascii: ","))
                JCS.writeString(entry.type, to: &out)
                out.append(UInt8(ascii: ","))
                JCS.writeString(entry.person, to: &out)
                out.append(UInt8(ascii: "]"))
            }
            out.append(UInt8(ascii: "]"))
        }
        writer.string("method", method)
        writer.string("source", source)
        writer.string("status", status)
        writer.string("value", value)
        return writer.finish()
    }
}

extension ItemRecord {
    var row: ProjectionRow {
        ProjectionRow(
            table: .items, key: id, columns: [.string(caseID), .string(status), .string(holder), .string(kind)],
            json: json)
    }
}

/// One item's custody-step rows in chain order, as a count and a chained SHA-256 over each row's key, columns and
/// state: what `ledger verify` compares with the stored rows, item by item, without holding every step in memory.
public struct StepChain: Sendable, Equatable {
    /// The number of rows added.
    public private(set) var count: Int64 = 0
    /// SHA-256 over the previous digest and the row (32 zero bytes before the first row).
    public private(set) var digest = [UInt8](repeating: 0, count: 32)

    /// An empty chain.
    public init() {}

    /// Adds the next row: its key, each column's canonical JSON and its state, each preceded by its length.
    public mutating func add(_ row: ProjectionRow) {
        var bytes: [UInt8] = []
        func put(_ part: some Collection<UInt8>) {
            withUnsafeBytes(of: UInt32(part.count).bigEndian) { bytes.append(contentsOf: $0) }
            bytes.append(contentsOf: part)
        }
        put(row.key.utf8)
        for column in row.columns { put(JCS.serialize(column)) }
        put(row.state.utf8)
        digest = SHA256.hash(parts: [digest, bytes])
        count += 1
    }

    /// The item of a custody-step row's key (everything before its last space), or nil for a key of another form.
    public static func item(ofStepKey key: String) -> String? {
        guard let space = key.utf8.lastIndex(of: 0x20) else { return nil }
        return String(key[..<space])
    }
}

extension CustodyStep {
    /// Keys sort in chain order: the item id, a separator below every id character, the zero-padded step number.
    static func key(item: String, number: Int64) -> String {
        let digits = String(number)
        return item + " " + String(repeating: "0", count: max(0, 10 - digits.count)) + digits
    }

    var row: ProjectionRow {
        ProjectionRow(
            table: .custodySteps, key: Self.key(item: item, number: number), columns: [.string(item), .integer(seq)],
            json: json)
    }
}

/// Records read back from their stored state text.
public protocol ProjectedRecord {
    /// Decodes a record from a projection row's state text.
    init(state: String) throws
}

extension ProjectedRecord {
    static func parseState(_ state: String) throws -> JSONValue {
        do { return try JSONParser.parse(Array(state.utf8), profile: .ledgerV1) } catch {
            throw CoreError.format("a projection row is unreadable: \(error); run `ledger rebuild`")
        }
    }
}

extension PersonRecord: ProjectedRecord {
    /// Decodes the record from its projection row's state text; throws a format error naming `ledger rebuild` when it is unreadable.
    public init(state: String) throws { try self.init(Self.parseState(state)) }
}

extension CaseRecord: ProjectedRecord {
    /// Decodes the record from its projection row's state text; throws a format error naming `ledger rebuild` when it is unreadable.
    public init(state: String) throws { try self.init(Self.parseState(state)) }
}

extension TargetRecord: ProjectedRecord {
    /// Decodes the record from its projection row's state text; throws a format error naming `ledger rebuild` when it is unreadable.
    public init(state: String) throws { try self.init(Self.parseState(state)) }
}

extension ItemRecord: ProjectedRecord {
    /// Decodes the record from its projection row's state text; throws a format error naming `ledger rebuild` when it is unreadable.
    public init(state: String) throws { try self.init(Self.parseState(state)) }
}

extension CustodyStep: ProjectedRecord {
    /// Decodes the record from its projection row's state text; throws a format error naming `ledger rebuild` when it is unreadable.
    public init(state: String) throws { try self.init(Self.parseState(state)) }
}

extension ProjectedRecord {
    /// The record as JSON (the projection's state).
    public var jsonValue: JSONValue {
        switch self {
        case let record as PersonRecord: record.json
        case let record as CaseRecord: record.json
        case let record as TargetRecord: record.json
        case let record as ItemRecord: record.json
        case let record as CustodyStep: record.json
        default: .null
        }
    }
}

extension ProjectionSource {
    /// The id of the target of this case, kind and normalized value, or nil (through the `targets_by_value` index).
    public func targetID(caseID: String, kind: String, value: String) throws -> String? {
        try firstProjectionKey(.targets, where: Array(zip(Self.targetValueColumns, [caseID, kind, value])))
    }

    /// The ids of the targets of these cases, kinds and normalized values, in their order (nil for none), asked at
    /// once.
    public func targetIDs(_ keys: [(caseID: String, kind: String, value: String)]) throws -> [String?] {
        try firstProjectionKeys(
            .targets, columns: Self.targetValueColumns, values: keys.map { [$0.caseID, $0.kind, $0.value] })
    }

    /// The columns of the `targets_by_value` index.
    private static var targetValueColumns: [String] { ["case_id", "kind", "value"] }
}
