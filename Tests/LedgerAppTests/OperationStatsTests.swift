import LedgerApp
import LedgerCore
import Testing

/// The operation's figures as JSON and back: what a client of a server reads is what the server computed.
struct OperationStatsTests {
    @Test func theFiguresSurviveTheirJSON() throws {
        let json: JSONValue = [
            "cases": ["OP-1", "OP-2"],
            "targets": [
                "identified": 30_000, "false_positives": 12, "taken_down": 22_800, "not_actioned": 4_200,
                "pending": 3_000, "taken_down_percent_of_identified": "76.0",
                "by_category": [
                    "phishing": ["identified": 17_143, "taken_down": 13_028, "not_actioned": 2_400],
                    "ransomware": ["identified": 4_286, "taken_down": 3_258, "not_actioned": 600],
                ],
                "by_country": ["NL": ["identified": 500, "taken_down": 380, "not_actioned": 70]],
            ],
            "servers_seized": 59, "devices_seized": 43,
            "items_by_kind": ["server": 59, "laptop": 20, "phone": 23],
            "items_by_status": ["in-custody": 90, "in-transit": 1],
        ]
        let stats = try OperationStats(json: json)
        #expect(JCS.serialize(stats.json) == JCS.serialize(json))
        #expect(stats.serversSeized == 59 && stats.devicesSeized == 43 && stats.takenDown == 22_800)
        #expect(throws: LedgerError.self) { try OperationStats(json: ["cases": []]) }
    }
}
