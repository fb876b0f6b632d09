import LedgerCore
import Testing

@testable import CustodyDomain

/// The projection rows' hand-written JCS writers must produce exactly the bytes of the general serializer.
struct ProjectionStateTests {
    @Test(arguments: [false, true])
    func targetStateWriterMatchesGenericJCS(_ full: Bool) throws {
        var record = TargetRecord(
            id: "T-00042", caseID: "OP-\u{10000}-\"q\"", kind: "ip", value: "198.51.100.7", category: "phishing",
            country: "NL", source: "report \\ back\nslash \u{1}", identifiedSeq: 7)
        if full {
            record.hostingProvider = "Hoster \u{FF61}"
            record.asn = 64_496
            record.method = "null-routed"
            record.status = "taken-down"
            record.lastSeq = 9_007_199_254_740_991
            record.log = [
                LogRef(seq: 7, type: "target.identified", person: "p-1"), LogRef(seq: 9, type: "x", person: "é"),
            ]
            record.corrections = [
                try Correction(["seq": 10, "corrects": 7, "field": "source", "value": "v", "reason": "r", "by": "p-1"])
            ]
        }
        #expect(record.state == String(decoding: JCS.serialize(record.json), as: UTF8.self))
        #expect(try TargetRecord(state: record.state) == record)
    }
}
