import Foundation
import LedgerCore
import LedgerCrypto
import Testing

@testable import CourtBundle

/// The pieces of a bundle's report and graph that must hold whatever the ledger's text says.
struct BundleRenderingTests {
    @Test(arguments: ReportVersion.allCases) func valuesAreEscapedAndBidiControlsMadeVisible(version: ReportVersion) {
        let html = HTMLText(version: version)
        let hostile = "<script>alert('x')</script> & \"q\" \u{202E}gnp.exe\u{202C} a\u{200B}b"
        let rendered = html.value(hostile)
        #expect(rendered.hasPrefix("<bdi>") && rendered.hasSuffix("</bdi>"))
        #expect(!rendered.contains("<script"))
        #expect(
            html.escape(hostile).hasPrefix("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"))
        #expect(rendered.contains("[U+202E]gnp.exe[U+202C]"))
        #expect(rendered.contains("a[U+200B]b"))
        for scalar in rendered.unicodeScalars {
            #expect(!HTMLText.isFormatControlV1(scalar) || scalar == "\n")
            #expect(version == .v1 || !VisibleText.isHidden(scalar) || scalar == "\n")
        }
    }

    @Test func version1KeepsItsNarrowerSetAndMinimalHexAndVersion2ShowsEveryHiddenCharacter() {
        let text = "a\u{7}b\u{AD}c\u{E0041}d\u{2028}e\u{FE0F}f\tg\nh"
        #expect(HTMLText(version: .v1).escape(text) == "a[U+7]b\u{AD}c\u{E0041}d\u{2028}e\u{FE0F}f\tg\nh")
        #expect(
            HTMLText(version: .v2).escape(text)
                == "a[U+0007]b[U+00AD]c[U+E0041]d[U+2028]e[U+FE0F]f\tg\nh")
    }

    @Test(arguments: ReportVersion.allCases) func longRunsGetBreakOpportunitiesAndStayEscaped(version: ReportVersion) {
        let html = HTMLText(version: version)
        let hash = String(repeating: "ab", count: 32)
        #expect(
            html.breakable(hash)
                == (0..<4).map { _ in String(repeating: "ab", count: 8) }.joined(separator: "<wbr>"))
        #expect(html.breakable("short words stay whole") == "short words stay whole")
        let long = String(repeating: "<", count: 30)
        #expect(!html.breakable(long).contains("<<"))
        #expect(html.breakable(long).contains("&lt;<wbr>&lt;"))
    }

    @Test func indicatorsAreDefanged() {
        #expect(HTMLText.defang("http://phish.example/login", kind: "url") == "hxxp://phish[.]example/login")
        #expect(HTMLText.defang("https://a.example", kind: "url") == "hxxps://a[.]example")
        #expect(HTMLText.defang("bad.example", kind: "domain") == "bad[.]example")
        #expect(HTMLText.defang("198.18.0.7", kind: "ip") == "198[.]18[.]0[.]7")
        #expect(HTMLText.defang("2001:db8::7", kind: "ip") == "2001:db8:[:]7")
    }

    @Test func nodeIRIsEndInRFC9562UUIDv5s() {
        // Python: uuid.uuid5(uuid.NAMESPACE_URL, ...)
        #expect(CaseGraph.uuid5("http://example.com") == "8c9ddcb0-8084-5a7f-a988-1095ab18b5df")
        #expect(
            CaseGraph.iri("investigative-action", entry: "abc", role: "action")
                == "kb:investigative-action-c2601892-2e43-5f5f-92c2-17a3cc59233a")
    }

    @Test func disclosureStatementsRoundTripAndRefuseMalformedText() throws {
        let statement = DisclosureStatement(
            origin: "ledger.example/x", size: 42, selection: .itemSelection(["EV-2", "EV-10", "EV-2"]),
            streams: [
                DisclosedStream(stream: "item/EV-2", rev: 3, bodyHash: String(repeating: "a", count: 64)),
                DisclosedStream(stream: "item/EV-10", rev: 1, bodyHash: String(repeating: "b", count: 64)),
            ])
        #expect(
            statement.text
                == "custody-ledger/v1 disclosure\nledger.example/x\n42\nitems EV-10 EV-2\n"
                + "item/EV-10 1 \(String(repeating: "b", count: 64))\nitem/EV-2 3 \(String(repeating: "a", count: 64))\n"
        )
        #expect(try DisclosureStatement(text: statement.text) == statement)
        let unsorted = statement.text.replacingOccurrences(of: "items EV-10 EV-2", with: "items EV-2 EV-10")
        #expect(throws: CoreError.self) { try DisclosureStatement(text: unsorted) }
        let badRev = statement.text.replacingOccurrences(of: "item/EV-10 1 ", with: "item/EV-10 01 ")
        #expect(throws: CoreError.self) { try DisclosureStatement(text: badRev) }
        let less = DisclosureStatement(
            origin: statement.origin, size: 42, selection: statement.selection, streams: [statement.streams[1]])
        #expect(less.difference(from: statement)?.contains("leaves out stream item/EV-10") == true)
        #expect(statement.difference(from: statement) == nil)
    }
}

/// The version-2 disclosure statement (FORMAT.md §11.4): who exported the bag, when, and every other payload file.
struct DisclosureStatementV2Tests {
    static let hashA = String(repeating: "a", count: 64)
    static let hashB = String(repeating: "b", count: 64)

    static func statement() throws -> DisclosureStatement {
        DisclosureStatement(
            origin: "ledger.example/x", size: 42, selection: .itemSelection(["EV-2"]),
            streams: [DisclosedStream(stream: "item/EV-2", rev: 3, bodyHash: hashA)],
            export: try DisclosureExport(time: "2026-12-06T05:40:34Z", exporter: "DS Jane Roe"),
            files: [
                DisclosedFile(path: "data/report/custody-report.html", sha256: hashB),
                DisclosedFile(path: "data/VERIFY.md", sha256: hashA),
            ])
    }

    @Test func itsTextListsTheExportThenTheStreamsThenTheFilesAndRoundTrips() throws {
        let statement = try Self.statement()
        #expect(
            statement.text
                == "custody-ledger/v2 disclosure\nledger.example/x\n42\nitems EV-2\n"
                + "exported 2026-12-06T05:40:34Z by DS Jane Roe\nitem/EV-2 3 \(Self.hashA)\n"
                + "file \(Self.hashA) data/VERIFY.md\nfile \(Self.hashB) data/report/custody-report.html\n")
        #expect(try DisclosureStatement(text: statement.text) == statement)
        #expect(statement.version == 2)
    }

    @Test(arguments: [
        ("exported 2026-12-06T05:40:34Z by DS Jane Roe", "exported 2026-12-06 05:40:34Z by DS Jane Roe"),
        ("exported 2026-12-06T05:40:34Z by DS Jane Roe", "exported 2026-02-30T05:40:34Z by DS Jane Roe"),
        ("exported 2026-12-06T05:40:34Z by DS Jane Roe", "exported 2026-12-06T05:40:34Z by  DS Jane Roe"),
        ("exported 2026-12-06T05:40:34Z by DS Jane Roe", "exported 2026-12-06T05:40:34Z by DS \u{202E}Jane"),
        ("exported 2026-12-06T05:40:34Z by DS Jane Roe\n", ""),
        ("item/EV-2 3", "EV-2 3"),
        (
            "file \(hashA) data/VERIFY.md\nfile \(hashB) data/report/custody-report.html\n",
            "file \(hashB) data/report/custody-report.html\nfile \(hashA) data/VERIFY.md\n"
        ),
        ("file \(hashA) data/VERIFY.md", "file \(hashA) data/../VERIFY.md"),
    ])
    func malformedTextIsRefused(original: String, replacement: String) throws {
        let text = try Self.statement().text
        #expect(text.contains(original))
        #expect(throws: CoreError.self) {
            try DisclosureStatement(text: text.replacingOccurrences(of: original, with: replacement))
        }
    }

    @Test func aStreamLineAfterAFileLineIsRefused() throws {
        let text = try Self.statement().text + "item/EV-3 1 \(Self.hashA)\n"
        #expect(throws: CoreError.self) { try DisclosureStatement(text: text) }
    }

    @Test func aSecondSignatureLineIsRefused() throws {
        let key = Ed25519PrivateKey.generate()
        let statement = try Self.statement()
        let note = try statement.signed(with: key)
        let vkey = try NoteVerifierKey(name: statement.origin, publicKey: key.publicKey)
        #expect(try DisclosureStatement(note: note, logKey: vkey) == statement)
        let line = note.split(separator: "\n").last.map(String.init) ?? ""
        #expect(throws: CoreError.self) { try DisclosureStatement(note: note + line + "\n", logKey: vkey) }
    }
}
