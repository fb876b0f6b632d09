import Foundation
import LedgerTestSupport
import Testing

/// Ledger text that tries to hide or reorder what people read, and indicators that a reader could follow by
/// accident: the terminal shows hidden characters as `[U+XXXX]`, as the report does, and the report defangs
/// free text (FORMAT.md §11.6).
@Suite(.serialized)
struct HostileTextEndToEndTests {
    let directory = TemporaryDirectory("ledger-hostile-text")

    static let rlo = "\u{202E}"
    static let pdf = "\u{202C}"
    static let zwsp = "\u{200B}"
    static let zwj = "\u{200D}"

    private func ledger(_ arguments: String...) throws -> CLI.Output {
        try CLI.run(arguments, in: directory.url)
    }

    /// A ledger whose officer name, case title, item fields and note hold bidi and zero-width controls, and whose
    /// note holds a URL and an IP address.
    private func setUp() throws {
        let initialize = try ledger(
            "init", "--origin", "ledger.test.example/hostile", "--name", "Ada", "--person", "ada", "--agency", "NCA")
        #expect(initialize.status == 0, "\(initialize.stderr)")
        let generate = try ledger(
            "key", "generate", "--out", "carol.pem", "--name", "Carol \(Self.rlo)lortnoc\(Self.pdf)", "--person",
            "carol", "--agency", "NCA", "--request-out", "carol.json")
        #expect(generate.status == 0, "\(generate.stderr)")
        let register = try ledger(
            "key", "register", "carol.json", "--roles", "case-officer,custodian", "--key", "admin.pem")
        #expect(register.status == 0, "\(register.stderr)")
        let open = try ledger(
            "case", "open", "OP-1", "--title", "Op \(Self.rlo)fdp.exe\(Self.pdf)", "--legal-basis", "JIT 1",
            "--agency", "NCA", "--key", "carol.pem")
        #expect(open.status == 0, "\(open.stderr)")
        let seize = try ledger(
            "item", "seize", "EV-1", "--case", "OP-1", "--exhibit", "C/1", "--kind", "laptop", "--description",
            "Grey\(Self.zwsp) laptop \(Self.rlo)gpj.exe\(Self.pdf)", "--seal", "S\(Self.zwj)-1", "--location",
            "Room \(Self.rlo)B\(Self.pdf) shelf 2", "--from", "Premises ref P-1", "--authority", "Warrant 7", "--at",
            "2024-05-01T06:00:00+02:00", "--key", "carol.pem")
        #expect(seize.status == 0, "\(seize.stderr)")
        let note = try ledger(
            "note", "item/EV-1", "--text", "Beacon to http://a.example/ and 192.0.2.1 seen.", "--key", "carol.pem")
        #expect(note.status == 0, "\(note.stderr)")
    }

    /// No raw hidden character in `output`, and the escaped forms present.
    private func expectEscaped(
        _ output: CLI.Output, _ forms: [String], sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(output.status == 0, "\(output.stderr)", sourceLocation: sourceLocation)
        for hidden in [Self.rlo, Self.pdf, Self.zwsp, Self.zwj] {
            #expect(
                !output.stdout.unicodeScalars.contains(hidden.unicodeScalars.first ?? " "),
                "raw U+\(String(hidden.unicodeScalars.first?.value ?? 0, radix: 16)) in:\n\(output.stdout)",
                sourceLocation: sourceLocation)
        }
        for form in forms {
            #expect(output.stdout.contains(form), "no \(form) in:\n\(output.stdout)", sourceLocation: sourceLocation)
        }
    }

    @Test func terminalOutputShowsHiddenCharactersAsCodePoints() throws {
        try setUp()
        let items = try ledger("items")
        expectEscaped(items, ["S[U+200D]-1", "Room [U+202E]B[U+202C] shelf 2"])
        // Columns stay aligned: the escaped seal is as wide as its column says.
        let lines = items.stdout.split(separator: "\n").map(String.init)
        let header = try #require(lines.first)
        let row = try #require(lines.first { $0.hasPrefix("EV-1") })
        let location = try #require(header.range(of: "LOCATION")).lowerBound
        let room = try #require(row.range(of: "Room")).lowerBound
        #expect(
            header.distance(from: header.startIndex, to: location) == row.distance(from: row.startIndex, to: room),
            "\(items.stdout)")

        expectEscaped(
            try ledger("item", "show", "EV-1"),
            ["Grey[U+200B] laptop [U+202E]gpj.exe[U+202C]", "S[U+200D]-1", "Room [U+202E]B[U+202C] shelf 2"])
        expectEscaped(
            try ledger("item", "history", "EV-1"), ["Room [U+202E]B[U+202C] shelf 2", "seal S[U+200D]-1 applied"])
        expectEscaped(try ledger("log"), ["Grey[U+200B] laptop", "Carol [U+202E]lortnoc[U+202C]"])
        expectEscaped(try ledger("case", "list"), ["Op [U+202E]fdp.exe[U+202C]"])
        expectEscaped(try ledger("key", "list"), ["Carol [U+202E]lortnoc[U+202C]"])

        // JSON stays exact: the characters are in the strings, as JSON has them.
        let json = try ledger("item", "show", "EV-1", "--json")
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(object?["location"] as? String == "Room \(Self.rlo)B\(Self.pdf) shelf 2")
        #expect(!json.stdout.contains("[U+"))
    }

    @Test func aNewExportRendersReportVersion4WithDefangedFreeTextAndVerifies() throws {
        try setUp()
        let export = try ledger("export", "--case", "OP-1", "--out", "bag", "--log-key", "log.pem")
        #expect(export.status == 0, "\(export.stderr)")
        let bag = directory.url.appendingPathComponent("bag")
        let report = try String(
            contentsOf: bag.appendingPathComponent("data/report/custody-report.html"), encoding: .utf8)
        #expect(report.contains("<meta name=\"generator\" content=\"custody-ledger-report/4\">"))
        #expect(report.contains("Beacon to hxxp://a[.]example/ and 192[.]0[.]2[.]1 seen."), "\(report)")
        #expect(!report.contains("http://a.example"))
        #expect(report.contains("[U+202E]gpj[.]exe[U+202C]"))
        let verify = try ledger("verify-bundle", "bag")
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")

        // A generator this build does not know is an integrity failure that says so, even with fresh manifests.
        let holder = TemporaryDirectory("ledger-hostile-generator")
        let copy = holder.url.appendingPathComponent("bag")
        try FileManager.default.copyItem(at: bag, to: copy)
        let url = copy.appendingPathComponent("data/report/custody-report.html")
        try Data(report.replacingOccurrences(of: "custody-ledger-report/4", with: "custody-ledger-report/9").utf8)
            .write(to: url)
        try Bags.rebag(copy)
        let unknown = try CLI.run(["verify-bundle", copy.path], in: directory.url)
        #expect(unknown.status == 1, "\(unknown.stdout)")
        #expect(unknown.stdout.contains("custody-ledger-report/9"), "\(unknown.stdout)")
        #expect(unknown.stdout.contains("unknown report rendering"), "\(unknown.stdout)")
    }

    /// Bags made by earlier builds (report versions 1 and 2, version-1 disclosure statements) still verify, in both
    /// verifiers; the version-2 bag says that its report is not signed.
    @Test(arguments: [1, 2]) func aBundleRenderedByAnEarlierBuildStillVerifies(version: Int) throws {
        let (report, verify, python) = try verifyFixtureBag(version: version)
        #expect(report.contains("content=\"custody-ledger-report/\(version)\""))
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        #expect(verify.stdout.contains("re-render to the same bytes"), "\(verify.stdout)")
        #expect(verify.stdout.contains("exported   not stated (disclosure version 1"), "\(verify.stdout)")
        guard let python else { return }
        #expect(python.status == 0, "\(python.stdout)\(python.stderr)")
        #expect(python.stdout.contains("version 1: the report, graph and VERIFY.md are not signed"), "\(python.stdout)")
    }

    /// The bag of the last build that rendered report version 3 (a version-2 disclosure statement, a check-out
    /// with a due date) still verifies, in both verifiers, and re-renders to the same bytes.
    @Test func aBundleRenderedAsReportVersion3StillVerifies() throws {
        let (report, verify, python) = try verifyFixtureBag(version: 3)
        #expect(report.contains("content=\"custody-ledger-report/3\""))
        #expect(!report.contains("due back"))
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        #expect(verify.stdout.contains("re-render to the same bytes"), "\(verify.stdout)")
        guard let python else { return }
        #expect(python.status == 0, "\(python.stdout)\(python.stderr)")
    }

    /// The bag of `Tests/Fixtures/bundle-report-v<version>`: its report, and what `ledger verify-bundle` and
    /// (when Python is here) tools/verify_bundle.py say of it with its log key pinned.
    private func verifyFixtureBag(version: Int) throws -> (report: String, verify: CLI.Output, python: CLI.Output?) {
        let fixture = Repository.root.appendingPathComponent("Tests/Fixtures/bundle-report-v\(version)")
        let vkey = try String(contentsOf: fixture.appendingPathComponent("log.vkey"), encoding: .utf8)
            .trimmingCharacters(in: .newlines)
        let bag = fixture.appendingPathComponent("bag")
        let report = try String(
            contentsOf: bag.appendingPathComponent("data/report/custody-report.html"), encoding: .utf8)
        let verify = try CLI.run(["verify-bundle", bag.path, "--trust-log-key", vkey], in: directory.url)
        guard BundleEndToEndTests.python else { return (report, verify, nil) }
        let script = Repository.root.appendingPathComponent("tools/verify_bundle.py").path
        let python = try CLI.shell("python3 '\(script)' '\(bag.path)' --trust-log-key '\(vkey)'", in: directory.url)
        return (report, verify, python)
    }
}
