import ArgumentParser
import CustodyDomain
import Foundation
import LedgerApp
import LedgerCore

struct CaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "case",
        abstract: "Open, join, close and list cases.",
        discussion: """
            Examples:
              ledger case open OP-SYNERGIA --title "Operation Synergia" \\
                  --legal-basis "MLAT 2024/117" --agency NCA --agency BKA \\
                  --key carol.pem
              ledger case join OP-SYNERGIA --agency "Politie NL" --key carol.pem
              ledger case list
              ledger case close OP-SYNERGIA --reason "All exhibits disposed." \\
                  --key carol.pem
            """,
        subcommands: [Open.self, Join.self, Close.self, List.self])

    struct Open: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Open a case (case.opened).",
            discussion: """
                Example:
                  ledger case open OP-1 --title "Operation One" --legal-basis "JIT 1" \\
                      --agency NCA --agency BKA --key carol.pem
                """)
        @Argument(help: "The case id ([A-Za-z0-9._-], up to 64).") var id: String
        @Option(help: "The case title.") var title: String
        @Option(help: "The legal basis of the operation.") var legalBasis: String
        @Option(help: "A participating agency (repeat for each).") var agency: [String] = []
        @Option(help: "A short summary.") var summary: String?
        @OptionGroup var event: EventOptions

        func validate() throws {
            if agency.isEmpty { throw ValidationError("name at least one participating --agency") }
        }

        func run() throws {
            var data = DataBuilder()
            data["title"] = title
            data["legal_basis"] = legalBasis
            data.set("agencies", strings: agency)
            data["summary"] = summary
            try event.record(
                CustodyEvents.caseOpened, stream: CustodyStreams.caseStream(id), data: data, summary: title)
        }
    }

    struct Join: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record that an agency joins a case.",
            discussion: """
                Example:
                  ledger case join OP-1 --agency "Politie NL" --legal-basis "JIT 1" \\
                      --key carol.pem
                """)
        @Argument(help: "The case id.") var id: String
        @Option(help: "The agency.") var agency: String
        @Option(help: "The legal basis of its participation.") var legalBasis: String?
        @OptionGroup var event: EventOptions

        func run() throws {
            try event.record(
                CustodyEvents.caseAgencyJoined, stream: CustodyStreams.caseStream(id),
                data: DataBuilder(["agency": agency, "legal_basis": legalBasis]))
        }
    }

    struct Close: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Close a case.",
            discussion: """
                Example:
                  ledger case close OP-1 --reason "All exhibits disposed." --key carol.pem
                """)
        @Argument(help: "The case id.") var id: String
        @Option(help: "Why it is closed.") var reason: String
        @Option(
            help: ArgumentHelp(
                "Close although items are still in transit or checked out, and say why (recorded; a format-2 ledger).",
                valueName: "why"))
        var overrideReason: String?
        @OptionGroup var event: EventOptions

        func run() throws {
            try event.record(
                CustodyEvents.caseClosed, stream: CustodyStreams.caseStream(id),
                data: DataBuilder(["reason": reason, "override_reason": overrideReason]))
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List cases with their status and figures.",
            discussion: """
                Examples:
                  ledger case list
                  ledger case list --json
                """)
        @OptionGroup var location: LedgerOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let cases = try CustodyQueries.cases(in: try location.openForReading())
            if json {
                printJSONLines(cases.map(\.jsonValue))
                return
            }
            if cases.isEmpty {
                print("no cases yet (open one with `ledger case open`)")
                return
            }
            print(
                Table.render(
                    header: ["CASE", "STATUS", "TITLE", "AGENCIES", "TARGETS", "ITEMS"],
                    rows: cases.map { record in
                        [
                            record.id, record.status, record.title, String(record.agencies.count),
                            String(record.figures.targets.total),
                            String(record.figures.itemsByKind.values.reduce(0, +)),
                        ]
                    }))
        }
    }
}
