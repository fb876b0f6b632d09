import Foundation
import LedgerTestSupport
import Testing

/// Issue 20 as a custodian meets it at the command line: the paper form at 80 columns, the time of each act,
/// finding items, what is in transit and overdue, and the workflow rules.
@Suite(.serialized)
struct EvidenceRoomEndToEndTests {
    let directory = TemporaryDirectory("ledger-evidence-room")

    private func ledger(_ arguments: String..., columns: Int = 80) throws -> CLI.Output {
        try CLI.run(arguments, in: directory.url, environment: ["COLUMNS": String(columns)])
    }

    private func expectOK(_ output: CLI.Output, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(output.status == 0, "\(output.stderr)", sourceLocation: sourceLocation)
    }

    /// carol and dan (custodians), erin (examiner), sam (supervisor); case OP-1; EV-1 seized by carol with dan as
    /// witness, then sent to erin.
    private func setUp() throws {
        expectOK(
            try ledger(
                "init", "--origin", "ledger.test.example/room", "--name", "Ada", "--person", "ada", "--agency", "NCA"))
        for (person, name, roles) in [
            ("carol", "Carol Visser", "case-officer,custodian"), ("dan", "Dan Okafor", "custodian"),
            ("erin", "Erin Jansen", "examiner,custodian"), ("sam", "Sam Lee", "supervisor"),
        ] {
            expectOK(
                try ledger(
                    "key", "generate", "--out", "\(person).pem", "--name", name, "--person", person, "--agency",
                    "Politie", "--request-out", "\(person).json"))
            expectOK(try ledger("key", "register", "\(person).json", "--roles", roles, "--key", "admin.pem"))
        }
        expectOK(
            try ledger(
                "case", "open", "OP-1", "--title", "Operation One", "--legal-basis", "JIT 1", "--agency", "NCA",
                "--key", "carol.pem"))
        expectOK(
            try ledger(
                "item", "seize", "EV-1", "--case", "OP-1", "--exhibit", "C/1", "--kind", "phone", "--description",
                "Black phone with cracked screen", "--imei", "490154203237518", "--serial", "SN-77", "--seal", "S-1",
                "--location", "Room B", "--from", "Premises ref P-1", "--authority", "Warrant 7", "--at",
                "2024-06-01T06:05:00+02:00", "--key", "carol.pem", "--witness-key", "dan.pem"))
        expectOK(
            try ledger(
                "transfer", "EV-1", "--to", "erin", "--purpose", "Imaging at the lab", "--seal", "S-1", "--at",
                "2024-06-02T09:00:00+02:00", "--key", "carol.pem"))
    }

    @Test func theHistoryIsAPaperFormAt80Columns() throws {
        try setUp()
        expectOK(
            try ledger(
                "receive", "EV-1", "--seal", "S-1", "--location", "Lab safe 2", "--at", "2024-06-03T10:00:00+02:00",
                "--key", "erin.pem"))
        let items = try ledger("items", "--json")
        let seized = try #require(
            (try JSONSerialization.jsonObject(with: Data((items.stdout.split(separator: "\n").first ?? "").utf8))
                as? [String: Any])?["seized_seq"] as? Int)
        expectOK(
            try ledger(
                "correct", String(seized), "--field", "description", "--value", "Black phone, screen cracked",
                "--reason", "Clearer", "--key", "carol.pem"))
        expectOK(
            try ledger(
                "item", "dispose", "EV-1", "--method", "destroyed", "--authority", "Court order 12", "--key",
                "erin.pem", "--witness-key", "sam.pem"))
        let history = try ledger("item", "history", "EV-1")
        expectOK(history)
        let lines = history.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        for line in lines { #expect(line.count <= 80, "wider than 80 columns: \(line)") }
        let header = try #require(lines.first { $0.hasPrefix("SEQ") })
        #expect(header.contains("RELEASED BY") && header.contains("RECEIVED BY") && header.contains("WITNESS"))
        // The particulars as one text, line wraps undone.
        let text = history.stdout.replacingOccurrences(of: "\n     ", with: " ")
        // The act's time beside the recorded one, every action's particulars, and a legend naming the witnesses.
        #expect(text.contains("act 2024-06-01T06:05:00+02:00") && text.contains("act 2024-06-03T10:00:00+02:00"))
        #expect(text.contains("method destroyed") && text.contains("authority Court order 12"))
        #expect(text.contains("\"Black phone with cracked screen\" → \"Black phone, screen cracked\""))
        #expect(text.contains("disposed of: no holder, no storage location"))
        #expect(text.contains("dan    Dan Okafor, Politie") || text.contains("dan  Dan Okafor"), "\(text)")
        #expect(text.contains("Sam Lee"), "the disposal's witness is in the legend")
        // The court report says the same: after disposal nobody holds it and it is kept nowhere.
        expectOK(try ledger("export", "--case", "OP-1", "--out", "bundle"))
        let report = try String(
            contentsOf: directory.url.appendingPathComponent("bundle/data/report/custody-report.html"), encoding: .utf8)
        #expect(report.contains("<dt>Held by</dt><dd>nobody (disposed"), "\(report.prefix(200))")
        #expect(report.contains("<dt>Location</dt><dd>none (disposed"))
        #expect(report.contains("<dt>Seal</dt><dd><bdi>S-1<"), "the seal it was disposed of under")
        // Narrower terminals wrap instead of overflowing.
        let narrow = try ledger("item", "history", "EV-1", columns: 50)
        for line in narrow.stdout.split(separator: "\n") { #expect(line.count <= 50, "wider than 50: \(line)") }
    }

    @Test func everythingAPersonDidInAPeriod() throws {
        // The day (UTC) when the entries are begun and the day when they are done: the period holds them even across
        // midnight.
        let since = String(ISO8601DateFormatter().string(from: Date()).prefix(10))
        try setUp()
        let dan = try ledger("log", "--actor", "dan")
        expectOK(dan)
        let rows = dan.stdout.split(separator: "\n").dropFirst()
        #expect(rows.count == 2, "dan's registration and the seizure he witnessed:\n\(dan.stdout)")
        #expect(rows.contains { $0.contains("item.seized") && $0.contains("(dan co-signed)") }, "\(dan.stdout)")
        let until = String(ISO8601DateFormatter().string(from: Date()).prefix(10))
        #expect(
            try ledger("log", "--actor", "carol", "--since", since, "--until", until).stdout.contains(
                "custody.released"))
        let later = try ledger("log", "--actor", "carol", "--since", "2999-01-01")
        #expect(later.status == 0 && !later.stdout.contains("custody.released"), "\(later.stdout)")
        let jsonl = try ledger("log", "--actor", "erin", "--format", "jsonl")
        #expect(jsonl.stdout.split(separator: "\n").count == 1, "erin's registration only:\n\(jsonl.stdout)")
        let unknown = try ledger("log", "--actor", "nobody")
        #expect(unknown.status == 2 && unknown.stderr.contains("carol"), "lists the people: \(unknown.stderr)")
        let badTime = try ledger("log", "--since", "last tuesday")
        #expect(badTime.status == 2 && badTime.stderr.contains("--since last tuesday"), "\(badTime.stderr)")
    }

    @Test func custodiansFindItemsAndSeeWhatIsOutAndOverdue() throws {
        try setUp()
        let byIMEI = try ledger("items", "--imei", "49015420 3237518")
        #expect(byIMEI.stdout.contains("EV-1"), "\(byIMEI.stdout)")
        #expect(try ledger("items", "--serial", "sn-77").stdout.contains("EV-1"))
        #expect(try ledger("items", "--exhibit", "C/1").stdout.contains("EV-1"))
        #expect(try ledger("items", "--search", "CRACKED").stdout.contains("EV-1"))
        #expect(try ledger("items", "--search", "tablet").stdout.contains("no items match"))
        let transit = try ledger("items", "--status", "in-transit", "--json")
        // JSON Lines, one object per item.
        let rows = try transit.stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(rows.first?["from"] as? String == "carol" && rows.first?["to"] as? String == "erin")
        #expect(rows.first?["occurred_at"] as? String == "2024-06-02T09:00:00+02:00")
        // A case does not close while EV-1 travels, unless the closing says why.
        let close = try ledger("case", "close", "OP-1", "--reason", "Done", "--key", "carol.pem")
        #expect(close.status == 5, "\(close.stderr)")
        #expect(close.stderr.contains("in-transit"), "\(close.stderr)")
        expectOK(
            try ledger(
                "receive", "EV-1", "--seal", "S-1", "--location", "Lab safe 2", "--key", "erin.pem"))
        // Due back before it left: refused as a mistake in the date.
        let dueBefore = try ledger(
            "item", "check-out", "EV-1", "--to", "erin", "--purpose", "Chip-off", "--due", "2024-07-01T17:00:00+02:00",
            "--key", "erin.pem")
        #expect(dueBefore.status == 2 && dueBefore.stderr.contains("is not after the check-out"), "\(dueBefore.stderr)")
        expectOK(
            try ledger(
                "item", "check-out", "EV-1", "--to", "erin", "--purpose", "Chip-off", "--at",
                "2024-07-01T09:00:00+02:00", "--due", "2024-07-01T17:00:00+02:00", "--key", "erin.pem"))
        let overdue = try ledger("items", "--overdue")
        expectOK(overdue)
        #expect(
            overdue.stdout.contains("EV-1") && overdue.stdout.contains("OVERDUE") && overdue.stdout.contains("Chip-off")
        )
        // Out since the act's own time (--at), in UTC, not since its recording.
        #expect(overdue.stdout.contains("2024-07-01T07:00"), "\(overdue.stdout)")
        let overdueJSON = try ledger("items", "--overdue", "--json")
        #expect(overdueJSON.stdout.contains("\"occurred_at\":\"2024-07-01T09:00:00+02:00\""), "\(overdueJSON.stdout)")
        // The item itself says why it is out and when it was due back.
        let shown = try ledger("item", "show", "EV-1")
        expectOK(shown)
        #expect(shown.stdout.contains("purpose    Chip-off"), "\(shown.stdout)")
        #expect(shown.stdout.contains("due back   2024-07-01T17:00:00+02:00   OVERDUE"), "\(shown.stdout)")
        // A future act is refused; an act time on a format-1 ledger is named as --at.
        let future = try ledger("item", "check-in", "EV-1", "--at", "2999-01-01T00:00:00Z", "--key", "erin.pem")
        #expect(future.status == 5 && future.stderr.contains("after the statement was signed"), "\(future.stderr)")
        expectOK(
            try ledger(
                "case", "close", "OP-1", "--reason", "Done", "--override-reason", "EV-1 stays with the lab",
                "--key", "carol.pem"))
    }
}
