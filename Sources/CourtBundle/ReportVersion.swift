import LedgerCore

/// A rendering of the report and the CASE/UCO graph (FORMAT.md §11.6): what the page and the graph look like for
/// the same disclosed entries.
///
/// New exports render `current`; `ledger verify-bundle` re-renders a bag with the version its report names, so a
/// bag made by an older tool still verifies. Every version stays renderable byte for byte.
public enum ReportVersion: Int, Sendable, CaseIterable {
    /// `custody-ledger-report/1`: values escaped, bidi isolated, bidi and zero-width controls and C0/C1 controls
    /// shown as `[U+` minimal hex `]`, target values defanged.
    case v1 = 1
    /// `custody-ledger-report/2`: as version 1, and free-text fields defanged (§11.6.2), every hidden character
    /// (§11.6.1) shown as `[U+XXXX]` with at least four hex digits. The graph is as in version 1.
    case v2 = 2
    /// `custody-ledger-report/3`: as version 2, as a document for a case of any size: who exported it, a summary
    /// with the custody exceptions, a table of contents with anchors, items in exhibit order, the targets
    /// summarised with every target in `data/report/targets.csv`, timelines to scale in time. The graph is as in
    /// version 1.
    case v3 = 3
    /// `custody-ledger-report/4`: as version 3, and a check-out's due date (`due`, format 2) shown in its
    /// custody-chain row as `due back: <time>`, after its purpose. The graph is as in version 1.
    case v4 = 4

    /// The version new exports render.
    public static let current = ReportVersion.v4

    /// The generator name the page carries, `custody-ledger-report/<n>`.
    public var generator: String { Self.prefix + String(rawValue) }

    static let prefix = "custody-ledger-report/"
    static let marker = Array("<meta name=\"generator\" content=\"".utf8)

    /// The version a bag's report names in its `<meta name="generator">` element.
    ///
    /// Throws a `.report` failure when the page names none or one this tool does not render.
    public init(report: [UInt8]) throws(VerificationFailure) {
        let path = "data/report/custody-report.html"
        guard let start = Self.firstIndex(of: Self.marker, in: report) else {
            throw VerificationFailure(
                seq: nil, rule: .report, message: "\(path) names no rendering (no <meta name=\"generator\">)")
        }
        let rest = report[(start + Self.marker.count)...]
        let value = String(decoding: rest.prefix { $0 != UInt8(ascii: "\"") && $0 != 0x0a }.prefix(80), as: UTF8.self)
        guard value.hasPrefix(Self.prefix), let number = Int(value.dropFirst(Self.prefix.count)),
            String(number) == value.dropFirst(Self.prefix.count), let version = ReportVersion(rawValue: number)
        else {
            let known = Self.allCases.map(\.generator).joined(separator: ", ")
            throw VerificationFailure(
                seq: nil, rule: .report,
                message:
                    "\(path) names \"\(VisibleText.escape(value))\", an unknown report rendering (this tool renders \(known))"
            )
        }
        self = version
    }

    static func firstIndex(of needle: [UInt8], in bytes: [UInt8]) -> Int? {
        guard bytes.count >= needle.count, let first = needle.first else { return nil }
        var index = 0
        while index <= bytes.count - needle.count {
            if bytes[index] == first && bytes[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}
