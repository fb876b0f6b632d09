import ArgumentParser
import CustodyDomain
import Foundation
import LedgerApp
import LedgerClient
import LedgerCore

/// A target named by its id, or by its value within a case.
struct TargetReference: ParsableArguments {
    @Argument(help: "The target: its id (T-…), or its address/domain/URL together with --case.")
    var target: String
    @Option(name: .customLong("case"), help: "The case, when naming the target by its value.") var caseID: String?

    /// The stream of the named target, looked up in the ledger `event` records to.
    func stream(for event: EventOptions) throws -> String {
        CustodyStreams.target(try resolve(in: try event.location.openForReading()).id)
    }

    func resolve(in store: any LedgerStore) throws -> TargetRecord {
        if let found = try CustodyQueries.target(target, in: store) { return found }
        if let caseID {
            for kind in TargetKind.allCases {
                if let found = try? CustodyQueries.target(caseID: caseID, kind: kind, value: target, in: store) {
                    return found
                }
            }
            throw LedgerError.notFound("case \(caseID) has no target \(target)")
        }
        throw LedgerError.notFound("no target with id \(target) (name it by value with --case CASE)")
    }
}

struct TargetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "target",
        abstract: "Identify infrastructure targets and follow them through verification and notification.",
        discussion: """
            Values are normalized before they are recorded: IPv4 dotted quads, IPv6 per RFC 5952, domains as \
            lower-case A-labels, URLs per RFC 3986 §6.2.2. A case has each (kind, value) once; its id is \
            T- and 12 hex digits derived from case, kind and value.

            Examples:
              ledger target add --case OP-SYNERGIA --ip 198.51.100.7 --category phishing \\
                  --country NL --source "CERT-EU feed" --key tina.pem
              ledger target import targets.csv --case OP-SYNERGIA \\
                  --source "CERT-EU feed" --key tina.pem
              ledger target verified T-3f2a9c0b1d4e --key tina.pem
              ledger target notify 198.51.100.7 --case OP-SYNERGIA \\
                  --to "Hoster BV abuse" --reference ABUSE-2024-0001 --key tina.pem
              ledger target show T-3f2a9c0b1d4e
            """,
        subcommands: [
            Add.self, Import.self, Show.self, Verified.self, FalsePositive.self, Notify.self, Reappeared.self,
        ])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Identify one target (target.identified).",
            discussion: """
                Example:
                  ledger target add --case OP-1 --domain shop.example --category phishing \\
                      --country NL --source "CERT-EU feed" --key tina.pem
                """)
        @Option(name: .customLong("case"), help: "The case.") var caseID: String
        @Option(help: "An IPv4 or IPv6 address.") var ip: String?
        @Option(help: "A domain name.") var domain: String?
        @Option(help: "A URL.") var url: String?
        @Option(help: "A server (address or host name).") var server: String?
        @Option(help: "phishing, ransomware, infostealer, malware-c2 or other.") var category: String
        @Option(help: "The ISO 3166-1 alpha-2 country code where it is hosted.") var country: String
        @Option(help: "The hosting provider, when known.") var hostingProvider: String?
        @Option(help: "The autonomous system number, when known.") var asn: Int64?
        @Option(help: "Who reported it.") var source: String
        @OptionGroup var event: EventOptions

        func run() throws {
            let given: [(TargetKind, String?)] = [(.ip, ip), (.domain, domain), (.url, url), (.server, server)]
            let values = given.compactMap { kind, value in value.map { (kind, $0) } }
            guard values.count == 1, let (kind, raw) = values.first else {
                throw ValidationError("give exactly one of --ip, --domain, --url, --server")
            }
            let value = try TargetValue.normalize(raw, kind: kind)
            let id = CustodyQueries.targetID(caseID: caseID, kind: kind, value: value)
            var data = DataBuilder()
            data["case"] = caseID
            data["kind"] = kind.rawValue
            data["value"] = value
            data["category"] = category
            data["country"] = country
            data["hosting_provider"] = hostingProvider
            data.set("asn", asn.map { .integer($0) })
            data["source"] = source
            try event.record(
                CustodyEvents.targetIdentified, stream: CustodyStreams.target(id), data: data, summary: "\(id) \(value)"
            )
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Identify many targets from a CSV file, all or none.",
            discussion: """
                The header names the columns: kind, value, category, country, and optionally hosting_provider, \
                asn, source. Every row is validated first; errors are listed with their line numbers and nothing \
                is appended unless every row is valid and new.

                Example file:
                  kind,value,category,country,hosting_provider,asn
                  ip,198.51.100.7,phishing,NL,Hoster BV,64500
                  domain,login-bank.example,phishing,DE,,
                """)
        @Argument(help: "The CSV file.") var file: String
        @Option(name: .customLong("case"), help: "The case.") var caseID: String
        @Option(help: "The reporting source for rows without a source column.") var source: String?
        @OptionGroup var location: LedgerOptions
        @Option(help: ArgumentHelp("Your signing key file.", valueName: "file")) var key: String
        @OptionGroup var passphrase: PassphraseOptions
        @Flag(help: "Print the result as JSON.") var json = false

        func run() throws {
            let rows = try TargetImport.parse(csv: try readFileBytes(file, what: "CSV file"), defaultSource: source)
            let store = try location.open()
            let signer = try passphrase.loadKey(key)
            let progress = ProgressLine(label: "importing", total: Int64(rows.count))
            let result = try TargetImport.identify(rows, caseID: caseID, signer: signer, in: store) {
                progress.update(Int64($0))
            }
            progress.finish()
            let first = result.seqs.first ?? 0
            let last = result.seqs.last ?? 0
            if json {
                printJSON([
                    "targets": .integer(Int64(rows.count)), "first_seq": .integer(first), "last_seq": .integer(last),
                ])
            } else {
                print("identified \(rows.count) targets in case \(caseID) at seq \(first)…\(last)")
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a target and its history.",
            discussion: """
                Examples:
                  ledger target show T-3f2a9c0b1d4e
                  ledger target show shop.example --case OP-1 --json
                """)
        @OptionGroup var reference: TargetReference
        @OptionGroup var location: LedgerOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let record = try reference.resolve(in: try location.openForReading())
            if json {
                printJSON(record.jsonValue)
                return
            }
            var lines = [
                "target     \(record.id)", "case       \(record.caseID)", "\(record.kind.padding(10)) \(record.value)",
                "status     \(record.status)" + (record.method.map { " (\($0))" } ?? ""),
                "category   \(record.category)", "country    \(record.country)",
                "source     \(record.source)",
            ]
            if let provider = record.hostingProvider { lines.append("hosting    \(provider)") }
            if let asn = record.asn { lines.append("asn        AS\(asn)") }
            lines.append("history:")
            for entry in record.log { lines.append("  seq \(entry.seq)  \(entry.type)  by \(entry.person)") }
            for fix in record.corrections {
                lines.append(
                    "  correction at seq \(fix.seq): \(fix.field) of seq \(fix.corrects) reads \"\(fix.value)\"")
            }
            print(Terminal.lines(lines))
        }
    }

    struct Verified: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Mark a target as verified (target.verified).",
            discussion: """
                Example:
                  ledger target verified T-3f2a9c0b1d4e --note "Kit confirmed" --key tina.pem
                """)
        @OptionGroup var reference: TargetReference
        @Option(help: "A note.") var note: String?
        @OptionGroup var event: EventOptions

        func run() throws {
            try event.record(
                CustodyEvents.targetVerified, stream: try reference.stream(for: event),
                data: DataBuilder(["note": note]))
        }
    }

    struct FalsePositive: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "false-positive", abstract: "Mark a target as a false positive.",
            discussion: """
                Example:
                  ledger target false-positive T-3f2a9c0b1d4e --reason "Parked domain" \\
                      --key tina.pem
                """)
        @OptionGroup var reference: TargetReference
        @Option(help: "Why.") var reason: String
        @OptionGroup var event: EventOptions

        func run() throws {
            try event.record(
                CustodyEvents.targetFalsePositive, stream: try reference.stream(for: event),
                data: DataBuilder(["reason": reason]))
        }
    }

    struct Notify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record an abuse report sent to a provider or CERT (target.notified).",
            discussion: """
                Example:
                  ledger target notify T-3f2a9c0b1d4e --to "Hoster BV" --reference AR-77 \\
                      --key tina.pem
                """)
        @OptionGroup var reference: TargetReference
        @Option(help: "Who was notified.") var to: String
        @Option(name: .customLong("reference"), help: "The report's reference.") var reportReference: String
        @OptionGroup var event: EventOptions

        func run() throws {
            try event.record(
                CustodyEvents.targetNotified, stream: try reference.stream(for: event),
                data: DataBuilder(["recipient": to, "reference": reportReference]))
        }
    }

    struct Reappeared: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record that a taken-down target is active again (target.reappeared).",
            discussion: """
                Example:
                  ledger target reappeared T-3f2a9c0b1d4e --details "Same kit, new host" \\
                      --key tina.pem
                """)
        @OptionGroup var reference: TargetReference
        @Option(help: "When it was seen again (RFC 3339; default now).") var observedAt: String?
        @Option(help: "Details.") var details: String?
        @OptionGroup var event: EventOptions

        func run() throws {
            try event.record(
                CustodyEvents.targetReappeared, stream: try reference.stream(for: event),
                data: DataBuilder(["observed_at": observedAt ?? nowRFC3339(), "details": details]))
        }
    }
}

struct TakedownCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "takedown",
        abstract: "Request takedowns and record their outcomes.",
        discussion: """
            Examples:
              ledger takedown request T-3f2a9c0b1d4e --to "Hoster BV" \\
                  --instrument "EIO 2024/55" --key tina.pem
              ledger takedown confirm T-3f2a9c0b1d4e --method null-routed --key tina.pem
              ledger takedown not-actioned T-3f2a9c0b1d4e --reason jurisdiction \\
                  --key tina.pem
            """,
        subcommands: [Request.self, Confirm.self, NotActioned.self])

    struct Request: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a takedown request.",
            discussion: """
                Example:
                  ledger takedown request T-3f2a9c0b1d4e --to "Hoster BV" \\
                      --instrument "EIO 2024/55" --key tina.pem
                """)
        @OptionGroup var reference: TargetReference
        @Option(help: "To whom it was sent.") var to: String
        @Option(help: "The legal instrument's reference.") var instrument: String
        @OptionGroup var event: EventOptions

        func run() throws {
            try event.record(
                CustodyEvents.takedownRequested, stream: try reference.stream(for: event),
                data: DataBuilder(["recipient": to, "legal_instrument": instrument]))
        }
    }

    struct Confirm: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record that a target was taken down.",
            discussion: """
                Example:
                  ledger takedown confirm T-3f2a9c0b1d4e --method null-routed --key tina.pem
                """)
        @OptionGroup var reference: TargetReference
        @Option(help: "suspended, null-routed, sinkholed, domain-hold or seized.") var method: String
        @Option(help: "When it happened (RFC 3339; default now).") var at: String?
        @Option(name: .customLong("reference"), help: "A reference.") var outcomeReference: String?
        @OptionGroup var event: EventOptions

        func run() throws {
            try event.record(
                CustodyEvents.takedownConfirmed, stream: try reference.stream(for: event),
                data: DataBuilder(["method": method, "occurred_at": at ?? nowRFC3339(), "reference": outcomeReference]))
        }
    }

    struct NotActioned: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "not-actioned", abstract: "Record that a takedown was not carried out.",
            discussion: """
                Example:
                  ledger takedown not-actioned T-3f2a9c0b1d4e --reason jurisdiction \\
                      --key tina.pem
                """)
        @OptionGroup var reference: TargetReference
        @Option(help: "jurisdiction, shared-hosting, no-response or other.") var reason: String
        @Option(help: "Details.") var details: String?
        @OptionGroup var event: EventOptions

        func run() throws {
            try event.record(
                CustodyEvents.takedownNotActioned, stream: try reference.stream(for: event),
                data: DataBuilder(["reason": reason, "details": details]))
        }
    }
}

struct TargetsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "targets", abstract: "List targets.",
        discussion: """
            Examples:
              ledger targets --case OP-SYNERGIA --status taken-down --limit 20
              ledger targets --country NL --json
            """)
    @OptionGroup var location: LedgerOptions
    @Option(name: .customLong("case"), help: "Only this case.") var caseID: String?
    @Option(help: "Only this status (identified, verified, notified, takedown-requested, taken-down, …).")
    var status: String?
    @Option(help: "Only this category.") var category: String?
    @Option(help: "Only this country.") var country: String?
    @Option(help: "At most this many (default 100; 0 for all).") var limit = 100
    @OptionGroup var server: ServerKeyOptions
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        try QueryFilters.checkTargetStatus(status)
        try QueryFilters.checkTargetCategory(category)
        try QueryFilters.checkCountry(country)
        let targets: [TargetRecord]
        if location.serverURL != nil {
            // Through a server: the targets of the cases the key may read.
            var query: [(String, String)] = []
            for (name, value) in [("case", caseID), ("status", status), ("category", category), ("country", country)] {
                if let value { query.append((name, value)) }
            }
            let remote = try server.remote(location)
            let (asked, maximum) = (query, limit > 0 ? limit + 1 : nil)
            targets = try Blocking.wait {
                try await remote.all("/api/v1/targets", member: "targets", query: asked, maximum: maximum)
            }.map { try TargetRecord(state: String(decoding: JCS.serialize($0), as: UTF8.self)) }
        } else {
            let store = try location.openForReading()
            try QueryFilters.checkCase(caseID, in: store)
            targets = try CustodyQueries.targets(
                in: store, caseID: caseID, status: status, category: category, country: country,
                limit: limit > 0 ? limit + 1 : nil)
        }
        let shown = limit > 0 ? Array(targets.prefix(limit)) : targets
        if json {
            printJSONLines(shown.map(\.jsonValue))
            return
        }
        print(
            Table.render(
                header: ["TARGET", "CASE", "KIND", "VALUE", "CATEGORY", "CC", "STATUS"],
                rows: shown.map { [$0.id, $0.caseID, $0.kind, $0.value, $0.category, $0.country, $0.status] }))
        if targets.count > shown.count { print("… more; raise --limit or use --limit 0") }
    }
}

extension String {
    /// Padded with spaces to `width` characters.
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
