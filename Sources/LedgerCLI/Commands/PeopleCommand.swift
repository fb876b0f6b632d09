import ArgumentParser
import CustodyDomain
import LedgerApp
import LedgerCore

struct PeopleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "people",
        abstract: "List the people who hold keys: their agency, roles and keys (custody belongs to people).",
        discussion: """
            Examples:
              ledger people
              ledger items --holder erin.nl
            """)
    @OptionGroup var location: LedgerOptions
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let people = try CustodyQueries.people(in: try location.openForReading())
        if json {
            printJSONLines(people.map(\.jsonValue))
            return
        }
        print(
            Table.render(
                header: ["PERSON", "NAME", "AGENCY", "ROLES", "KEYS"],
                rows: people.map { person in
                    let active = person.keys.filter { !$0.revoked }.count
                    return [
                        person.person, person.name, person.agency, person.activeRoles.joined(separator: ","),
                        "\(active) active"
                            + (person.keys.count > active ? ", \(person.keys.count - active) revoked" : ""),
                    ]
                }))
    }
}
