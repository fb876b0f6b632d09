import Foundation
import LedgerTestSupport
import Testing

/// `ledger label` as a user runs it: the files it writes hold the codes it says, read back by `zbarimg`.
struct LabelEndToEndTests {
    let directory = TemporaryDirectory()

    private func run(_ arguments: [String]) throws -> CLI.Output { try CLI.run(arguments, in: directory.url) }

    @Test(
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: "/usr/bin/zbarimg")
                || ProcessInfo.processInfo.environment["CI"] == "true"))
    func labelsAreWrittenWithTheCodesTheyName() throws {
        #expect(try run(["demo", "op", "--targets", "10"]).status == 0)
        let ledger = ["--ledger", "op/custody.ledger"]
        let made = try run(
            ["label", "EV-0001", "--format", "png", "--out", "ev1.png", "--url", "https://l.example", "--json"] + ledger
        )
        #expect(made.status == 0, "\(made.stderr)")
        let answer = try JSONSerialization.jsonObject(with: Data(made.stdout.utf8)) as? [String: String]
        #expect(answer?["qr_code"] == "https://l.example/#/item/EV-0001" && answer?["code_128"] == "EV-0001")
        let decoded = try CLI.shell("zbarimg -q ev1.png", in: directory.url)
        #expect(
            decoded.stdout.split(separator: "\n").sorted() == [
                "CODE-128:EV-0001", "QR-Code:https://l.example/#/item/EV-0001",
            ])
        #expect(try run(["label", "--seal", "SEAL-9", "--out", "seal.svg"]).status == 0)
        #expect(FileManager.default.fileExists(atPath: directory.path("seal.svg")))
        let missing = try run(["label", "EV-9999"] + ledger)
        #expect(
            missing.status == 2 && missing.stderr.contains("no item EV-9999"), "\(missing.status) \(missing.stderr)")
        let neither = try run(["label"])
        #expect(neither.status == 2, "\(neither.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.path("EV-9999.label.svg")))
    }
}
