import ArgumentParser
import CustodyDomain
import Foundation
import LedgerApp
import LedgerClient
import LedgerCore
import LedgerLabels

struct LabelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "label",
        abstract: "Make a printable exhibit, seal or location label with a QR code and a Code 128.",
        discussion: """
            An exhibit label carries the item id, exhibit number, case, kind and seal, a QR code and a Code 128. The \
            Code 128 holds the item id, which a keyboard-wedge scanner types into the web interface's scan field; the \
            QR code holds the item page's address when --url names the server (or the label is made through one), \
            else the item id, so any phone scanner app reads it. Seal and location labels carry a QR code and a Code \
            128 of the seal number or the place. The codes are made by libzint; docs/WEB.md lists what they hold.

            Examples:
              ledger label EV-0064
              ledger label EV-0064 --format png --out ev64.png
              ledger label EV-0064 --url https://ledger.example.org
              ledger label --seal SEAL-00064
              ledger label --location "Evidence store B, shelf 4" --out shelf4.svg
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case svg, png }

    @Argument(help: "The item (omit with --seal or --location).") var item: String?
    @Option(help: "A seal label for this seal number.") var seal: String?
    @Option(help: ArgumentHelp("A storage location label for this place.", valueName: "place")) var location: String?
    @Option(help: "svg or png.") var format: Format = .svg
    @Option(help: ArgumentHelp("Where to write it (- for standard output; default ITEM.label.svg).", valueName: "file"))
    var out: String?
    @Option(help: ArgumentHelp("The server's URL, for the QR code to open the item's page.", valueName: "url"))
    var url: String?
    @Flag(help: "Print the result as JSON (file, code_128, qr_code).") var json = false
    @OptionGroup var ledgerOptions: LedgerOptions
    @OptionGroup var server: ServerKeyOptions

    func validate() throws {
        guard [item, seal, location].compactMap({ $0 }).count == 1 else {
            throw ValidationError("name one item, or give --seal NUMBER or --location PLACE")
        }
        for (value, name) in [(seal, "--seal"), (location, "--location")] {
            if let value, value.isEmpty || value.count > 200 { throw ValidationError("\(name) is 1 to 200 characters") }
        }
    }

    func run() throws {
        let label: Label
        let name: String
        if let seal {
            label = .seal(seal)
            name = "seal-" + Self.fileSafe(seal)
        } else if let location {
            label = .location(location)
            name = "location-" + Self.fileSafe(location)
        } else {
            let id = item ?? ""
            let record: ItemRecord
            var address = url
            if let serverURL = ledgerOptions.serverURL {
                let answer = try remoteJSON(
                    try server.remote(ledgerOptions), "/api/v1/items/\(RemoteLedger.escape(id))")
                let state = JSONValue.object(
                    (answer.objectMembers ?? []).filter { $0.name != "custody_chain" && $0.name != "head" })
                record = try ItemRecord(state: String(decoding: JCS.serialize(state), as: UTF8.self))
                address = address ?? serverURL
            } else {
                guard let found = try CustodyQueries.item(id, in: try ledgerOptions.openForReading())?.0 else {
                    throw LedgerError.notFound("no item \(id) (see `ledger items`)")
                }
                record = found
            }
            label = .exhibit(
                id: record.id, exhibit: record.exhibit, caseID: record.caseID, kind: record.kind, seal: record.seal,
                url: address)
            name = Self.fileSafe(record.id)
        }
        let bytes: [UInt8]
        do { bytes = try format == .svg ? label.svg() : label.png() } catch {
            throw LedgerError.usage("cannot make the label: \(error)")
        }
        let target = out ?? "\(name).label.\(format.rawValue)"
        if target == "-" {
            FileHandle.standardOutput.write(Data(bytes))
            return
        }
        do { try Data(bytes).write(to: URL(fileURLWithPath: target), options: .atomic) } catch {
            throw LedgerError.usage("cannot write \(target): \(error.localizedDescription)")
        }
        if json {
            printJSON([
                "file": .string(target), "code_128": .string(label.linear), "qr_code": .string(label.matrix),
            ])
            return
        }
        print(
            "wrote \(target): \(label.lines.first ?? "label"); Code 128 \"\(label.linear)\", QR code \"\(label.matrix)\""
        )
    }

    /// A file name part made of the text's letters, digits, `.`, `_` and `-`.
    static func fileSafe(_ text: String) -> String {
        String(text.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_" ? $0 : "-" }.prefix(64))
    }
}
