import CustodyDomain
import LedgerCore

/// `data/report/targets.csv` (FORMAT.md §11.6.3): every target of the disclosure as one RFC 4180 record, sorted by
/// target id, so that a case of tens of thousands of targets is a spreadsheet beside a short report.
public enum TargetsAppendix {
    /// The header record's fields.
    static let columns = [
        "target", "case", "kind", "indicator", "category", "country", "hosting_provider", "asn", "status", "method",
        "identified_seq", "last_seq",
    ]

    /// The appendix as `version` renders it, or nil for a rendering before version 3 (whose bags have none).
    public static func render(
        _ ledger: DisclosedLedger, custody: DisclosedCustody, version: ReportVersion = .current
    ) -> [UInt8]? {
        guard version.rawValue >= 3 else { return nil }
        var out = record(columns)
        let targets = custody.state.rows(.targets).compactMap { try? TargetRecord(state: $0.state) }
            .sorted { $0.id.utf8.lexicographicallyPrecedes($1.id.utf8) }
        for target in targets {
            out += record([
                target.id, target.caseID, target.kind, HTMLText.defang(target.value, kind: target.kind),
                target.category, target.country, target.hostingProvider.map(HTMLText.defangFreeText) ?? "",
                target.asn.map(String.init) ?? "", target.status, target.method ?? "", String(target.identifiedSeq),
                String(target.lastSeq),
            ])
        }
        return Array(out.utf8)
    }

    /// One CSV record ending in CR LF.
    static func record(_ values: [String]) -> String {
        values.map(field).joined(separator: ",") + "\r\n"
    }

    /// One field: hidden characters shown, a formula start neutralised, quoted when it must be.
    static func field(_ value: String) -> String {
        var text = VisibleText.escape(value)
        if let first = text.unicodeScalars.first, "=+-@".unicodeScalars.contains(first) { text = "'" + text }
        let needsQuotes =
            text.contains(",") || text.contains("\"") || text.hasPrefix(" ") || text.hasSuffix(" ")
        guard needsQuotes else { return text }
        return "\"" + text.map { $0 == "\"" ? "\"\"" : String($0) }.joined() + "\""
    }
}
