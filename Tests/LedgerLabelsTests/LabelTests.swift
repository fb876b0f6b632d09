import Foundation
import Testing

@testable import LedgerLabels

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// Labels made by libzint, read back by `zbarimg` (Debian's zbar-tools), as any scanner would read them.
struct LabelTests {
    /// What `zbarimg` reads in a PNG: one "SYMBOLOGY:data" line per code.
    static func decoded(_ png: [UInt8]) throws -> [String] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("label-\(UUID()).png")
        try Data(png).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["zbarimg", "-q", file.path]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init).sorted()
    }

    static let zbarimg =
        FileManager.default.isExecutableFile(atPath: "/usr/bin/zbarimg")
        || ProcessInfo.processInfo.environment["CI"] == "true"

    @Test(.enabled(if: zbarimg, "zbarimg (zbar-tools) is not installed"))
    func everyLabelsCodesReadBackAsWhatTheyHold() throws {
        let exhibit = Label.exhibit(
            id: "EV-0064", exhibit: "L/64", caseID: "OP-SYNERGIA", kind: "laptop", seal: "SEAL-00064",
            url: "https://ledger.example.org/")
        #expect(
            try Self.decoded(try exhibit.png())
                == ["CODE-128:EV-0064", "QR-Code:https://ledger.example.org/#/item/EV-0064"])
        let offline = Label.exhibit(id: "EV-1", exhibit: "C/1", caseID: "C", kind: "phone", seal: nil, url: nil)
        #expect(try Self.decoded(try offline.png()) == ["CODE-128:EV-1", "QR-Code:EV-1"])
        #expect(try Self.decoded(try Label.seal("SEAL-00064").png()) == ["CODE-128:SEAL-00064", "QR-Code:SEAL-00064"])
        let place = "Evidence store B, shelf 4"
        #expect(try Self.decoded(try Label.location(place).png()) == ["CODE-128:\(place)", "QR-Code:\(place)"])
    }

    @Test func theSVGIsWellFormedAndShowsHostileTextAsText() throws {
        let label = Label.exhibit(
            id: "EV-2", exhibit: "<script>alert(1)</script>", caseID: "A&B", kind: "phone", seal: "\"S\"", url: nil)
        let svg = try label.svg()
        let text = String(decoding: svg, as: UTF8.self)
        #expect(!text.contains("<script>") && text.contains("&lt;script&gt;") && text.contains("A&amp;B"))
        let parser = XMLParser(data: Data(svg))
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
        #expect(text.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
    }

    @Test func aPNGHasTheRightChunksAndChecksums() throws {
        #expect(PNG.crc32(Array("IEND".utf8)) == 0xae42_6082)
        var bitmap = Bitmap(width: 3, height: 2)
        bitmap.black[0] = true
        let png = PNG.encode(bitmap)
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
        #expect(Array(png.suffix(12)) == [0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82])
    }

    @Test func textLibzintCannotEncodeIsAClearError() {
        #expect(throws: LabelError.self) { try Label.location(String(repeating: "x", count: 5000)).svg() }
    }
}
