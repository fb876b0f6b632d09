import CustodyDomain
import LedgerConcurrency
import LedgerCore
import LedgerCrypto

/// One validated row of a target CSV file.
public struct TargetRow: Sendable {
    /// The row's line number in the file (the header is line 1).
    public let line: Int
    /// What the target is: an ip, domain, url or server.
    public let kind: TargetKind
    /// The normalized value.
    public let value: String
    /// One of ``CustodyTypeTable/targetCategories``, lower-cased.
    public let category: String
    /// The ISO 3166-1 alpha-2 country code, upper-cased.
    public let country: String
    /// The hosting provider, when the row names one.
    public let hostingProvider: String?
    /// The autonomous system number (1…4294967295), when the row gives one.
    public let asn: Int64?
    /// Who reported the target: the row's `source`, or the import's default.
    public let source: String

    /// The `target.identified` data for a case.
    public func data(caseID: String) -> JSONValue {
        var members = [
            JSONMember("case", .string(caseID)), JSONMember("kind", .string(kind.rawValue)),
            JSONMember("value", .string(value)), JSONMember("category", .string(category)),
            JSONMember("country", .string(country)), JSONMember("source", .string(source)),
        ]
        if let hostingProvider { members.append(JSONMember("hosting_provider", .string(hostingProvider))) }
        if let asn { members.append(JSONMember("asn", .integer(asn))) }
        return .object(members)
    }
}

/// Reads target lists from RFC 4180 CSV files.
///
/// The header names the columns `kind`, `value`, `category`, `country`, and optionally `hosting_provider`, `asn`,
/// `source` (in any order). Every row is checked before anything is appended.
public enum TargetImport {
    /// Columns a file may have.
    public static let columns = ["kind", "value", "category", "country", "hosting_provider", "asn", "source"]

    /// Parses and validates every row; throws one error listing the first problems with their line numbers.
    ///
    /// - Parameter defaultSource: the reporting source for rows without a `source` column or value.
    public static func parse(csv: [UInt8], defaultSource: String?) throws(LedgerError) -> [TargetRow] {
        let records: [[String]]
        do { records = try CSV.parse(csv) } catch { throw .usage("the CSV file is malformed: \(error)") }
        guard let header = records.first else { throw .usage("the CSV file is empty") }
        let names = header.map { $0.trimmingSpaces.lowercased() }
        for name in names where !columns.contains(name) {
            throw .usage("unknown CSV column \"\(name)\" (allowed: \(columns.joined(separator: ", ")))")
        }
        for required in ["kind", "value", "category", "country"] where !names.contains(required) {
            throw .usage("the CSV header lacks the column \"\(required)\"")
        }
        if !names.contains("source") && defaultSource == nil {
            throw .usage("give --source, or a \"source\" column, naming who reported the targets")
        }
        // Each row is checked on its own, on all cores; repeats and the errors' order are then seen in file order.
        let checked = Parallel.map(Partition(items: records.count - 1, chunkSize: 512)) {
            offset -> Result<TargetRow, CoreError>? in
            let fields = records[offset + 1]
            if fields.count == 1 && fields[0].isEmpty { return nil }
            return Result { () throws(CoreError) -> TargetRow in
                guard fields.count == names.count else {
                    throw .rule("has \(fields.count) fields, the header \(names.count)")
                }
                var cell: [String: String] = [:]
                for (name, field) in zip(names, fields) {
                    let trimmed = field.trimmingSpaces
                    if !trimmed.isEmpty { cell[name] = trimmed }
                }
                return try validate(cell, line: offset + 2, defaultSource: defaultSource)
            }
        }
        var rows: [TargetRow] = []
        rows.reserveCapacity(records.count)
        var errors: [String] = []
        var errorCount = 0
        var seen: [String: Int] = [:]
        for (offset, result) in checked.enumerated() {
            guard let result else { continue }
            let line = offset + 2
            do throws(CoreError) {
                let row = try result.get()
                let key = row.kind.rawValue + "\n" + row.value
                if let first = seen[key] {
                    throw .rule("\(row.kind.rawValue) \(row.value) repeats line \(first)")
                }
                seen[key] = line
                rows.append(row)
            } catch {
                errorCount += 1
                if errors.count < 20 { errors.append("line \(line): \(error)") }
            }
        }
        if errorCount > 0 {
            let more = errorCount > errors.count ? "; and \(errorCount - errors.count) more" : ""
            throw .usage(
                "\(errorCount) of \(records.count - 1) rows are invalid, nothing was appended: "
                    + errors.joined(separator: "; ") + more)
        }
        guard !rows.isEmpty else { throw .usage("the CSV file has no rows") }
        return rows
    }

    private static func validate(_ cell: [String: String], line: Int, defaultSource: String?) throws(CoreError)
        -> TargetRow
    {
        guard let kindText = cell["kind"], let kind = TargetKind(rawValue: kindText.lowercased()) else {
            throw .rule("kind must be one of \(CustodyTypeTable.targetKinds.joined(separator: ", "))")
        }
        guard let raw = cell["value"] else { throw .rule("value is empty") }
        let value = try TargetValue.normalize(raw, kind: kind)
        guard let category = cell["category"]?.lowercased(), CustodyTypeTable.targetCategories.contains(category)
        else { throw .rule("category must be one of \(CustodyTypeTable.targetCategories.joined(separator: ", "))") }
        // The frozen list of version 2 (EVENTS.md §8.1), for either version: a code outside it is a typing mistake.
        guard let country = cell["country"]?.uppercased(), CountryCodes.accepted.contains(country) else {
            throw .rule("country must be an ISO 3166-1 alpha-2 code such as NL or BR, not \"\(cell["country"] ?? "")\"")
        }
        var asn: Int64?
        if let text = cell["asn"] {
            let digits = text.hasPrefix("AS") || text.hasPrefix("as") ? String(text.dropFirst(2)) : text
            guard let number = Int64(digits), (1...4_294_967_295).contains(number) else {
                throw .rule("asn must be a number from 1 to 4294967295")
            }
            asn = number
        }
        guard let source = cell["source"] ?? defaultSource, Identifiers.isDisplayText(source, max: 200) else {
            throw .rule("source must be 1 to 200 characters")
        }
        if let provider = cell["hosting_provider"], !Identifiers.isDisplayText(provider, max: 200) {
            throw .rule("hosting_provider must be 1 to 200 characters")
        }
        return TargetRow(
            line: line, kind: kind, value: value, category: category, country: country,
            hostingProvider: cell["hosting_provider"], asn: asn, source: source)
    }

    /// Drafts `target.identified` events for the rows; each target gets its stable id.
    public static func drafts(_ rows: [TargetRow], caseID: String, signer: Ed25519PrivateKey) -> [EventDraft] {
        rows.map { row in
            let id = CustodyQueries.targetID(caseID: caseID, kind: row.kind, value: row.value)
            return EventDraft(
                type: CustodyEvents.targetIdentified, stream: "target/" + id, data: row.data(caseID: caseID),
                expectRev: 0, signer: signer)
        }
    }

    /// Identifies every row's target in case `caseID`, signed by `signer`, in one transaction: all rows or none.
    ///
    /// Refuses (``LedgerError/Code/exists``, nothing appended) when the case already has any of the targets, naming
    /// the first ten.
    public static func identify(
        _ rows: [TargetRow], caseID: String, signer: Ed25519PrivateKey, in store: any LedgerStore,
        progress: ((Int) -> Void)? = nil
    ) throws -> AppendResult {
        let known = try alreadyKnown(rows, caseID: caseID, in: store)
        if !known.isEmpty {
            throw LedgerError(
                .exists,
                "\(known.count) row(s) name targets the case already has, nothing was appended: "
                    + known.prefix(10).joined(separator: "; ") + (known.count > 10 ? "; …" : ""))
        }
        return try Appender.append(drafts(rows, caseID: caseID, signer: signer), to: store, progress: progress)
    }

    /// Rows whose target the case already has, as "line N: …" texts.
    public static func alreadyKnown(_ rows: [TargetRow], caseID: String, in store: any LedgerStore) throws -> [String] {
        try knownRows(rows, caseID: caseID, in: store).map { row, id in
            "line \(row.line): \(row.kind.rawValue) \(row.value) is already target \(id)"
        }
    }

    /// Rows whose target the case already has, with that target's id.
    public static func knownRows(_ rows: [TargetRow], caseID: String, in store: any LedgerStore) throws -> [(
        row: TargetRow, id: String
    )] {
        try store.read { reader in
            let ids = try reader.targetIDs(rows.map { (caseID, $0.kind.rawValue, $0.value) })
            return zip(rows, ids).compactMap { row, id in id.map { (row, $0) } }
        }
    }
}

/// RFC 4180 comma-separated values: quoted fields may hold commas, quotes ("") and line breaks; lines end in
/// CRLF or LF.
enum CSV {
    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    static func parse(_ bytes: [UInt8]) throws(Malformed) -> [[String]] {
        var records: [[String]] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var index = bytes.starts(with: [0xef, 0xbb, 0xbf]) ? 3 : 0  // a UTF-8 byte order mark
        var line = 1
        var quoted = false
        var fieldStarted = false
        func endField() throws(Malformed) {
            guard let text = String(validating: field, as: UTF8.self) else {
                throw Malformed(description: "line \(line) is not UTF-8")
            }
            fields.append(text)
            field.removeAll(keepingCapacity: true)
            fieldStarted = false
        }
        while index < bytes.count {
            let byte = bytes[index]
            if quoted {
                if byte == 0x22 {
                    if index + 1 < bytes.count, bytes[index + 1] == 0x22 {
                        field.append(0x22)
                        index += 1
                    } else {
                        quoted = false
                    }
                } else {
                    if byte == 0x0a { line += 1 }
                    field.append(byte)
                }
            } else {
                switch byte {
                case 0x22:
                    guard !fieldStarted, field.isEmpty else {
                        throw Malformed(description: "line \(line) has a quote inside an unquoted field")
                    }
                    quoted = true
                    fieldStarted = true
                case 0x2c:
                    try endField()
                case 0x0d where index + 1 < bytes.count && bytes[index + 1] == 0x0a:
                    break
                case 0x0a:
                    try endField()
                    records.append(fields)
                    fields.removeAll()
                    line += 1
                default:
                    field.append(byte)
                }
            }
            index += 1
        }
        if quoted { throw Malformed(description: "a quoted field starting before line \(line) never ends") }
        if !field.isEmpty || !fields.isEmpty || fieldStarted {
            try endField()
            records.append(fields)
        }
        return records
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        // Most fields have nothing to trim: a first and last byte other than space and tab mean no first or last
        // character is one.
        guard let first = utf8.first, let last = utf8.last else { return self }
        if first != 0x20 && first != 0x09 && last != 0x20 && last != 0x09 { return self }
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
        return String(scalars)
    }
}
