import Foundation
import LedgerCore
import LedgerCrypto
import LedgerTestSupport
import Testing

@testable import CourtBundle

/// Report renderings: free-text defanging (FORMAT.md §11.6.2), the generator a bag names, and a bag rendered by
/// version 1 that must keep verifying byte for byte.
struct ReportVersionTests {
    @Test(arguments: [
        // URL words: every dot, and http before :// or s://.
        ("see http://a.example/x.html now", "see hxxp://a[.]example/x[.]html now"),
        ("HTTPS://Evil.Example.com/a.b.", "hxxpS://Evil[.]Example[.]com/a[.]b[.]"),
        ("(https://x.example/)", "(hxxps://x[.]example/)"),
        ("ftp://files.example.org/p", "ftp://files[.]example[.]org/p"),
        ("url:http://a.example", "url:hxxp://a[.]example"),
        // Domain names and IPv4 addresses in other words; sentence dots and other punctuation stay.
        ("C2 at 198.51.100.23 and evil.example.com.", "C2 at 198[.]51[.]100[.]23 and evil[.]example[.]com."),
        ("mail bob@evil.example, now", "mail bob@evil[.]example, now"),
        ("host evil.example:8080/x.zip", "host evil[.]example:8080/x[.]zip"),
        ("www.evil.example/login", "www[.]evil[.]example/login"),
        ("punycode xn--80ak6aa92e.xn--p1ai", "punycode xn--80ak6aa92e[.]xn--p1ai"),
        ("report.zip and IMG_0001.JPG", "report[.]zip and IMG_0001[.]JPG"),
        ("Mirror at 2001:db8::7 and ::ffff:192.0.2.1.", "Mirror at 2001:db8:[:]7 and ::ffff[:]192.0.2.1."),
        // Not addresses or names: left alone.
        (
            "e.g. i.e. U.S.A. approx. 5.5 kg, v1.2.3, 10:15:00, 256.1.1.1",
            "e.g. i.e. U.S.A. approx. 5.5 kg, v1.2.3, 10:15:00, 256.1.1.1"
        ),
        ("-evil.example- ...evil.example...", "-evil[.]example- ...evil[.]example..."),
        ("a.-b.example bad-.example 1.2", "a.-b.example bad-.example 1.2"),
        ("Ünïcode.example пример.рф", "Ünïcode[.]example пример.рф"),
        ("line one\nhttp://a.example\ttab", "line one\nhxxp://a[.]example\ttab"),
    ])
    func freeTextIsDefanged(text: String, defanged: String) {
        #expect(HTMLText.defangFreeText(text) == defanged)
    }

    @Test func defangingOnlyBracketsAndLeavesNoFollowableScheme() {
        // Random texts from pieces that make indicators (a fixed LCG, so a failure can be reproduced).
        let pieces = [
            "a", "Z", "x", "0", "9", ".", ":", "-", "/", "@", "_", " ", "http", "HTTPS", "://", "xn--", "255", "256",
            "::",
            "ffff", "com", "example", "\u{E9}", "\u{202E}", "\t", "s://", "1.2.3.4", "db8",
        ]
        var state: UInt64 = 42
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        for _ in 0..<5_000 {
            let text = (0..<next(15)).map { _ in pieces[next(pieces.count)] }.joined()
            let defanged = HTMLText.defangFreeText(text).lowercased()
            #expect(!defanged.contains("http://") && !defanged.contains("https://"), "\(text)")
            // Only brackets around `.` and `:` and the `xx` of `hxxp` were added: undone, the text is back.
            let undone = defanged.replacingOccurrences(of: "[.]", with: ".").replacingOccurrences(of: "[:]", with: ":")
                .replacingOccurrences(of: "hxxp", with: "http")
            #expect(undone == text.lowercased(), "\(text)")
        }
    }

    @Test func defangedFreeTextIsEscapedAfterwards() {
        let v2 = HTMLText(version: .v2)
        #expect(
            v2.freeText("<a href=\"http://x.example\">")
                == "<bdi>&lt;a href=&quot;hxxp://x[.<wbr>]example&quot;&gt;</bdi>")
        #expect(v2.freeText("at http://x.example/") == "<bdi>at hxxp://x[.]example/</bdi>")
        #expect(HTMLText(version: .v1).freeText("http://x.example") == "<bdi>http://x.example</bdi>")
    }

    @Test func theGeneratorNamesTheVersion() throws {
        for version in ReportVersion.allCases {
            let page = Array("<head>\n<meta name=\"generator\" content=\"\(version.generator)\">\n".utf8)
            #expect(try ReportVersion(report: page) == version)
        }
        #expect(ReportVersion.current.generator == "custody-ledger-report/4")
        for bad in ["custody-ledger-report/5", "custody-ledger-report/02", "custody-ledger-report/", "other/1"] {
            let page = Array("<meta name=\"generator\" content=\"\(bad)\">".utf8)
            #expect {
                try ReportVersion(report: page)
            } throws: { error in
                let failure = error as? VerificationFailure
                return failure?.rule == .report
                    && failure?.message.contains("\"\(bad)\", an unknown report rendering")
                        == true
            }
        }
        #expect(throws: VerificationFailure.self) { try ReportVersion(report: Array("<html>".utf8)) }
    }

    static let fixture = Repository.root.appendingPathComponent("Tests/Fixtures/bundle-report-v1")

    /// The fixture bag's files, by path relative to the bag.
    static func bagFiles(of fixture: URL = fixture) throws -> [String: [UInt8]] {
        let bag = fixture.appendingPathComponent("bag")
        var files: [String: [UInt8]] = [:]
        let manager = FileManager.default
        for case let relative as String in manager.enumerator(atPath: bag.path) ?? FileManager.DirectoryEnumerator() {
            var isDirectory: ObjCBool = false
            let url = bag.appendingPathComponent(relative)
            guard manager.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else {
                continue
            }
            files[relative] = Array(try Data(contentsOf: url))
        }
        return files
    }

    /// Recomputes the manifests after an edit of the same size, so that only re-rendering can catch it.
    static func rebag(_ files: inout [String: [UInt8]]) {
        let payload = files.filter { $0.key.hasPrefix("data/") }.map { (path: $0.key, sha256: SHA256.hash($0.value)) }
        files["manifest-sha256.txt"] = Array(BagIt.manifest(payload).utf8)
        let tags = ["bagit.txt", "bag-info.txt", "manifest-sha256.txt"].map {
            (path: $0, sha256: SHA256.hash(files[$0] ?? []))
        }
        files["tagmanifest-sha256.txt"] = Array(BagIt.manifest(tags).utf8)
    }

    @Test func aBagRenderedByVersion1VerifiesAndRendersTheSameBytesAgain() throws {
        let files = try Self.bagFiles()
        let vkey = try String(contentsOf: Self.fixture.appendingPathComponent("log.vkey"), encoding: .utf8)
        let key = try NoteVerifierKey(vkey: vkey.trimmingCharacters(in: .newlines))
        let result = try BundleVerifier.verify(files: files, options: .init(trustedLogKey: key))
        #expect(result.findings.isEmpty)
        let custody = result.ledger.custody()
        let report = try #require(files[BundleLayout.report])
        #expect(try ReportVersion(report: report) == .v1)
        #expect(CustodyReport.render(result.ledger, custody: custody, version: .v1) == report)
        // Version 2 renders the same entries differently: defanged, and so a bag's version matters.
        let v2 = String(decoding: CustodyReport.render(result.ledger, custody: custody, version: .v2), as: UTF8.self)
        #expect(v2.contains("content=\"custody-ledger-report/2\""))
        // Defanging comes first, then the break opportunities every 16 characters of a long word.
        #expect(
            v2.contains(
                "Seen at hxxpS://Evil[.]E<wbr>xample[.]com/a[.<wbr>]b and 192[.]0[.]2[.]55 [U+202E]txt[.]exe[U+202C], e.g. v1.2"
            ))
        #expect(v2.contains("Warrant 7, see hxxps://court[.]<wbr>example[.]org/w/<wbr>7[.]pdf"))
        #expect(v2.contains("purpose: <bdi>Imaging; it called 203[.]0[.]113[.]9</bdi>"))
        #expect(v2.contains("<bdi>Locker 5 (map at map[.]example[.]com)</bdi> (<bdi>moved, see 10[.]0[.]0[.]1</bdi>"))
        #expect(v2.contains("<bdi>Host[.]example BV</bdi>"))
        #expect(v2.contains("Mirror at 2001:db8:[:]7 and www[.]evil[.]example"))
        #expect(v2.contains("Operation [U+202E]exe[.]gnp[U+202C] One"))
        // The graph is the same in both versions.
        #expect(CaseGraph.render(result.ledger, custody: custody, version: .v1) == files[BundleLayout.graph])
        #expect(CaseGraph.render(result.ledger, custody: custody, version: .v2) == files[BundleLayout.graph])
    }

    @Test func aBagNamingAnUnknownVersionFailsAndOneNamingTheOtherVersionDiffers() throws {
        var files = try Self.bagFiles()
        let report = String(decoding: try #require(files[BundleLayout.report]), as: UTF8.self)
        for (generator, message) in [
            ("custody-ledger-report/7", "names \"custody-ledger-report/7\", an unknown report rendering"),
            ("custody-ledger-report/2", "differs from the report rendered from the entries"),
        ] {
            files[BundleLayout.report] = Array(
                report.replacingOccurrences(of: "custody-ledger-report/1", with: generator).utf8)
            Self.rebag(&files)
            #expect {
                try BundleVerifier.verify(files: files, options: .init())
            } throws: { error in
                (error as? VerificationFailure)?.message.contains(message) == true
            }
        }
    }
}

/// The pieces of report version 3 (FORMAT.md §11.6, §11.6.3).
struct ReportVersion3Tests {
    @Test(arguments: [
        ("EV-2", "EV-10", -1), ("A/99", "C/1", -1), ("A/10", "A/9", 1), ("x", "x", 0), ("2", "02", -1),
        ("EV-1a", "EV-1b", -1), ("EV", "EV-1", -1),
    ])
    func exhibitNumbersCompareTheirDigitsAsNumbers(lhs: String, rhs: String, order: Int) {
        let result = CustodyReport.Page.naturalOrder(Array(lhs.utf8), Array(rhs.utf8))
        #expect(result.signum() == order)
        #expect(CustodyReport.Page.naturalOrder(Array(rhs.utf8), Array(lhs.utf8)).signum() == -order)
    }

    @Test func csvFieldsAreQuotedOnlyWhenNeededAndNeverRunAsFormulas() {
        #expect(TargetsAppendix.field("plain") == "plain")
        #expect(TargetsAppendix.field("a,b") == "\"a,b\"")
        #expect(TargetsAppendix.field("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(TargetsAppendix.field("=HYPERLINK(1)") == "'=HYPERLINK(1)")
        #expect(TargetsAppendix.field("-1") == "'-1")
        #expect(TargetsAppendix.field(" lead") == "\" lead\"")
        #expect(TargetsAppendix.field("two\nlines\u{202E}") == "two[U+000A]lines[U+202E]")
        #expect(TargetsAppendix.record(["a", "b"]) == "a,b\r\n")
    }

    @Test func timelinesAreToScaleInTimeAndNoMarkHidesAnother() {
        let left = Timeline.left
        let span = Timeline.width - Timeline.left - Timeline.right
        // Day 0, day 1, day 10, and the disclosure ends on day 20: positions follow the days.
        let days = [0, 1, 10].map { LedgerTime.format(millisecondsSince1970: Int64($0) * 86_400_000) }
        let end = LedgerTime.format(millisecondsSince1970: 20 * 86_400_000)
        #expect(
            Timeline.scaledPositions(times: days, end: end)
                == [left, left + Int((Double(span) / 20).rounded()), left + span / 2])
        // Three steps in one second, then one a day later: the first three 14 px apart, the last at the end.
        let burst = [0, 1, 2, 86_400_000].map { LedgerTime.format(millisecondsSince1970: Int64($0)) }
        #expect(Timeline.scaledPositions(times: burst, end: nil) == [left, left + 14, left + 28, left + span])
        // All at once: evenly spaced.
        let same = Array(repeating: LedgerTime.format(millisecondsSince1970: 0), count: 3)
        #expect(Timeline.scaledPositions(times: same, end: nil) == [left, left + span / 2, left + span])
    }

    @Test func exceptionsAreCountedInOneOrderWithPlurals() {
        #expect(CustodyException.summary([:]) == "custody exceptions: none")
        #expect(
            CustodyException.summary([.correction: 2, .brokenSeal: 1])
                == "custody exceptions: 1 broken seal, 2 corrections")
        #expect(CustodyException.summary([.inTransit: 3]) == "custody exceptions: 3 items in transit")
    }

    @Test func aBagOfAnEarlierVersionHasNoTargetsAppendix() throws {
        let files = try ReportVersionTests.bagFiles()
        let vkey = try String(
            contentsOf: ReportVersionTests.fixture.appendingPathComponent("log.vkey"), encoding: .utf8)
        let key = try NoteVerifierKey(vkey: vkey.trimmingCharacters(in: .newlines))
        let result = try BundleVerifier.verify(files: files, options: .init(trustedLogKey: key))
        let custody = result.ledger.custody()
        #expect(TargetsAppendix.render(result.ledger, custody: custody, version: .v2) == nil)
        let csv = try #require(TargetsAppendix.render(result.ledger, custody: custody, version: .v3))
        #expect(String(decoding: csv, as: UTF8.self).hasPrefix("target,case,kind,"))
        var withAppendix = files
        withAppendix[BundleLayout.targets] = csv
        let payload = withAppendix.filter { $0.key.hasPrefix("data/") }.map(\.value.count)
        let info = String(decoding: withAppendix["bag-info.txt"] ?? [], as: UTF8.self).split(separator: "\n").map {
            $0.hasPrefix("Payload-Oxum: ") ? "Payload-Oxum: \(BagIt.payloadOxum(sizes: payload))" : String($0)
        }
        withAppendix["bag-info.txt"] = Array((info.joined(separator: "\n") + "\n").utf8)
        ReportVersionTests.rebag(&withAppendix)
        #expect {
            try BundleVerifier.verify(files: withAppendix, options: .init(trustedLogKey: key))
        } throws: { error in
            (error as? VerificationFailure)?.message.contains("does not belong in a bag whose report is") == true
        }
        // Version 3 renders the same entries to a page with contents and a summary, from a version-1 statement.
        let page = String(decoding: CustodyReport.render(result.ledger, custody: custody, version: .v3), as: UTF8.self)
        #expect(page.contains("<nav aria-label=\"Contents\">"))
        #expect(page.contains("is not stated (its disclosure statement is version 1)"))
        // Its one correction (of the receipt's location) is a custody exception, and nothing is green beside it.
        #expect(page.contains("custody exceptions: 1 correction"), "\(page)")
        #expect(!page.contains("class=\"ok\">no custody rule is broken"))
    }

    /// The files of the bag of fixture `name` (in `Tests/Fixtures`), verified with its log key.
    static func verifiedBag(_ name: String) throws -> (files: [String: [UInt8]], result: BundleVerifier.Result) {
        let fixture = Repository.root.appendingPathComponent("Tests/Fixtures/\(name)")
        let files = try ReportVersionTests.bagFiles(of: fixture)
        let vkey = try String(contentsOf: fixture.appendingPathComponent("log.vkey"), encoding: .utf8)
        let key = try NoteVerifierKey(vkey: vkey.trimmingCharacters(in: .newlines))
        return (files, try BundleVerifier.verify(files: files, options: .init(trustedLogKey: key)))
    }

    /// A bag made by the last build that rendered version 2 and signed version-1 statements (commit 6c1b7a4):
    /// it keeps verifying, and renders to the same bytes (FORMAT.md §11.4, §11.6).
    @Test func aBagMadeByTheLastVersion2BuildVerifiesAndRendersTheSameBytes() throws {
        let (files, result) = try Self.verifiedBag("bundle-report-v2")
        #expect(result.ledger.statement.version == 1)
        let custody = result.ledger.custody()
        let report = try #require(files[BundleLayout.report])
        #expect(try ReportVersion(report: report) == .v2)
        #expect(CustodyReport.render(result.ledger, custody: custody, version: .v2) == report)
        #expect(CaseGraph.render(result.ledger, custody: custody, version: .v2) == files[BundleLayout.graph])
        #expect(files[BundleLayout.targets] == nil)
    }

    /// A bag made by the last build that rendered version 3 (commit 6cf9160; a version-2 statement, and an item
    /// checked out with a due date): it keeps verifying and renders to the same bytes, without the due date, which
    /// version 4 shows after the check-out's purpose (FORMAT.md §11.6).
    @Test func aBagMadeByTheLastVersion3BuildRendersTheSameBytesAndVersion4ShowsTheDueDate() throws {
        let (files, result) = try Self.verifiedBag("bundle-report-v3")
        #expect(result.ledger.statement.version == 2)
        let custody = result.ledger.custody()
        let report = try #require(files[BundleLayout.report])
        #expect(try ReportVersion(report: report) == .v3)
        #expect(CustodyReport.render(result.ledger, custody: custody, version: .v3) == report)
        #expect(CaseGraph.render(result.ledger, custody: custody, version: .v3) == files[BundleLayout.graph])
        #expect(TargetsAppendix.render(result.ledger, custody: custody, version: .v3) == files[BundleLayout.targets])
        let v3 = String(decoding: report, as: UTF8.self)
        #expect(!v3.contains("due back"))
        let v4 = String(decoding: CustodyReport.render(result.ledger, custody: custody, version: .v4), as: UTF8.self)
        #expect(
            v4.contains(
                "purpose: <bdi>Extraction, see hxxps://lab[.]ex<wbr>ample/t/9</bdi><br>due back: <bdi>2024-05-20T17:00"
            ), "\(v4)")
        #expect(v4.contains("content=\"custody-ledger-report/4\""))
        // Nothing else changes: version 4's page is version 3's with the generator and that one note.
        let shown = "<br>due back: <bdi>2024-05-20T17:00<wbr>:00+02:00</bdi>"
        #expect(
            v4.replacingOccurrences(of: shown, with: "").replacingOccurrences(
                of: "custody-ledger-report/4", with: "custody-ledger-report/3") == v3)
        #expect(CaseGraph.render(result.ledger, custody: custody, version: .v4) == files[BundleLayout.graph])
    }
}
