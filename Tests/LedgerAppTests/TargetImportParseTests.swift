import Foundation
import LedgerApp
import LedgerCore
import Testing

/// Reading a target list: rows are checked on all cores, but repeats and errors are reported in file order.
struct TargetImportParseTests {
    /// `count` distinct rows after the header, 198.18.x.y (RFC 2544).
    func csv(_ count: Int, blankAfter: Set<Int> = [], replace: [Int: String] = [:]) -> [UInt8] {
        var text = "kind,value,category,country\n"
        for index in 0..<count {
            text += replace[index] ?? "ip,198.18.\(index / 256).\(index % 256),phishing,NL"
            text += "\n"
            if blankAfter.contains(index) { text += "\n" }
        }
        return Array(text.utf8)
    }

    @Test func rowsKeepTheirOrderAndLineNumbersAcrossManyParts() throws {
        // Blank lines are skipped but counted: the row after one is a line further down.
        let rows = try TargetImport.parse(csv: csv(2_000, blankAfter: [10, 1_500]), defaultSource: "feed")
        #expect(rows.count == 2_000)
        #expect(rows.map(\.value) == (0..<2_000).map { "198.18.\($0 / 256).\($0 % 256)" })
        #expect(rows[0].line == 2)
        #expect(rows[11].line == 14)
        #expect(rows[1_999].line == 2_003)
    }

    @Test func repeatsAndErrorsAreReportedInFileOrder() {
        // Row 1,700 repeats row 3; rows 900 and 1,800 are invalid (lines 902, 1,702 and 1,802).
        let bytes = csv(
            2_000,
            replace: [
                900: "ip,300.1.1.1,phishing,NL", 1_700: "ip,198.18.0.3,phishing,NL", 1_800: "ip,198.18.9.9,scam,NL",
            ])
        #expect {
            try TargetImport.parse(csv: bytes, defaultSource: "feed")
        } throws: { error in
            let text = "\(error)"
            guard let first = text.range(of: "line 902"), let second = text.range(of: "line 1702"),
                let third = text.range(of: "line 1802")
            else { return false }
            return text.contains("3 of 2000 rows are invalid") && first.lowerBound < second.lowerBound
                && second.lowerBound < third.lowerBound && text.contains("repeats line 5")
        }
    }
}
