import ArgumentParser
import Foundation
import LedgerApp
import LedgerCore
import LedgerStores

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Play a whole international operation into a new ledger, then show its figures and verify it.",
        discussion: """
            Modelled on INTERPOL's Operation Synergia II (2024): officers of several fictitious agencies each \
            generate their own key; a case is opened; targets are imported from a generated CSV file \
            (addresses from 198.18.0.0/15 and 2001:db8::/32, domains under .example — never real ones); \
            notifications, takedown requests and outcomes leave 76% taken down; 59 servers and 43 devices are \
            seized; exhibits cross borders by courier (one arrives with a broken seal); disk images are \
            acquired; one exhibit is checked out past its due date and one is on its way back to the evidence \
            store; a description is corrected; a checkpoint is signed. Then `ledger stats` and `ledger \
            verify` run on the result.

            With --ledger postgresql://OWNER@HOST/DATABASE the ledger goes into that (existing, empty) database, \
            created as its owner and appended to as its runtime role (see `ledger init --help`); keys and files \
            stay in the folder.

            Examples:
              ledger demo   (into ./synergia-demo, 30,000 targets)
              ledger demo /tmp/op --targets 500
              ledger demo /tmp/op --ledger postgresql://localhost/custody \\
                  --writer-password-file writer.pw
            Afterwards:
              ledger item history EV-0064 --ledger synergia-demo/custody.ledger
            """)

    @Argument(help: "A new or empty folder for the ledger, keys and files.") var directory = "synergia-demo"
    @Option(help: "How many targets to identify.") var targets = 30_000
    @Option(
        help: ArgumentHelp(
            "Where to create the ledger: a SQLite file or postgresql://OWNER@HOST/DATABASE (default: custody.ledger in"
                + " the folder).", valueName: "location"))
    var ledger: String?
    @OptionGroup var writer: WriterRoleOptions
    @OptionGroup var output: JSONOutput

    func validate() throws {
        guard (10...1_000_000).contains(targets) else { throw ValidationError("--targets must be 10 to 1000000") }
    }

    func run() throws {
        // Under --json standard output holds one object; the narrative goes to standard error.
        let say: (String) -> Void = output.json ? { printErr($0) } : { print($0) }
        let progress = ProgressLine(label: "appending", total: nil)
        let stores = try writer.stores(for: ledger ?? directory + "/custody.ledger")
        // A database's ledger is appended to as its runtime role (with the password given, never printed).
        let appendLedger = ledger.flatMap { stores.appendLocation(forCreated: $0, withPassword: true) }
        let shownLedger = ledger.flatMap { stores.appendLocation(forCreated: $0) }
        let demo = Demo(
            directory: directory, stores: stores, ledger: ledger, appendLedger: appendLedger, targets: targets,
            log: { line in
                progress.finish()
                say("▸ " + line)
            },
            progress: { done, total in progress.update(done, of: total) })
        let report = try demo.run()
        progress.finish()
        let store = try LedgerLocation(report.ledgerPath, stores: stores).openForReading()
        let shownPath = shownLedger ?? report.ledgerPath
        let stats = try OperationStats.compute(caseID: report.caseID, in: store)
        say("\n$ ledger stats --case \(report.caseID)")
        say(StatsReport.text(stats))
        say("\n$ ledger verify")
        let verifyProgress = ProgressLine(label: "verifying", total: report.entries)
        let verification = try VerifyRunner.verify(
            store: store, options: VerifyOptions(progress: { verifyProgress.update($0) }), source: shownPath)
        verifyProgress.finish()
        let seconds = Double(report.duration.components.seconds) + Double(report.duration.components.attoseconds) / 1e18
        if output.json {
            printJSON([
                "ledger": .string(shownPath), "case": .string(report.caseID),
                "entries": .integer(report.entries), "milliseconds": .integer(Int64(seconds * 1000)),
                "stats": stats.json, "verify": VerifyReportFormatter.json(verification),
            ])
        } else {
            print(VerifyReportFormatter.text(verification))
            print(
                """

                \(report.entries) entries written in \(String(format: "%.1f", seconds)) s. Try:
                  export LEDGER_PATH=\(shownPath)\(writer.writerPasswordFile.map { " PGPASSWORD=$(head -n1 \($0))" } ?? "")
                  ledger item history \(report.brokenSealItem)     (a broken seal at receipt)
                  ledger item show \(report.imagedItem)            (an imaged exhibit with its hashes)
                  ledger items --status in-custody --holder erin.nl
                  ledger items --overdue                  (checked out past its due date)
                  ledger items --status in-transit        (who sent what, since when)
                  ledger targets --status not-actioned --limit 10
                """)
        }
        if verification.exitStatus != 0 { throw ExitCode(verification.exitStatus) }
    }
}
