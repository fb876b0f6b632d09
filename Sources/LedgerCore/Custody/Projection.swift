import LedgerCrypto

/// One read-model table: rows keyed by a text key, with filter columns derived from the row's state.
///
/// Every table has the columns `key`, the filter `columns`, and `state` (the record as canonical JSON); a store adds
/// indexes for the filter columns. The filter columns are a function of the state, so verification can recompute
/// every stored value.
public struct ProjectionTable: Sendable, Hashable, CustomStringConvertible {
    public let name: String
    public let columns: [String]

    public var description: String { name }

    public static let people = ProjectionTable(name: "people", columns: ["agency"])
    public static let cases = ProjectionTable(name: "cases", columns: ["status"])
    public static let targets = ProjectionTable(
        name: "targets", columns: ["case_id", "kind", "value", "status", "category", "country"])
    public static let items = ProjectionTable(name: "items", columns: ["case_id", "status", "holder", "kind"])
    public static let custodySteps = ProjectionTable(name: "custody_steps", columns: ["item_id", "seq"])

    /// Every projection table, in the order verification compares them.
    public static let all = [people, cases, targets, items, custodySteps]
}

/// One row of a projection table.
public struct ProjectionRow: Sendable, Equatable {
    public let table: ProjectionTable
    public let key: String
    /// Values of `table.columns`, in order: strings or integers.
    public let columns: [JSONValue]
    /// The record as canonical JSON text.
    public let state: String

    public init(table: ProjectionTable, key: String, columns: [JSONValue], state: String) {
        self.table = table
        self.key = key
        self.columns = columns
        self.state = state
    }

    init(table: ProjectionTable, key: String, columns: [JSONValue], json: JSONValue) {
        self.init(table: table, key: key, columns: columns, state: String(decoding: JCS.serialize(json), as: UTF8.self))
    }

    public static func == (lhs: ProjectionRow, rhs: ProjectionRow) -> Bool {
        lhs.table == rhs.table && lhs.key.hasSameBytes(as: rhs.key) && lhs.columns == rhs.columns
            && lhs.state.hasSameBytes(as: rhs.state)
    }
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

/// Where a custody state loads the records it has not seen yet: a store's projection tables inside a transaction.
public protocol CustodySource {
    /// The stored state text of the row with this key, or nil.
    func projectionState(_ table: ProjectionTable, key: String) throws -> String?
    /// The id of the target of this case, kind and normalized value, or nil.
    func targetID(caseID: String, kind: String, value: String) throws -> String?
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
    public init(state: String) throws { try self.init(Self.parseState(state)) }
}

extension CaseRecord: ProjectedRecord {
    public init(state: String) throws { try self.init(Self.parseState(state)) }
}

extension TargetRecord: ProjectedRecord {
    public init(state: String) throws { try self.init(Self.parseState(state)) }
}

extension ItemRecord: ProjectedRecord {
    public init(state: String) throws { try self.init(Self.parseState(state)) }
}

extension CustodyStep: ProjectedRecord {
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
