import ArgumentParser
import CustodyDomain
import Foundation
import LedgerCore

struct TypesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "types",
        abstract: "List the type table: every event type, its stream, who may sign it and its data.",
        discussion: """
            docs/FORMAT.md §5 holds the same table and docs/EVENTS.md describes each field.

            --schemas prints, for every type, each data member with its kind and bound (name text and free text \
            lengths in Unicode scalars, integer ranges, allowed values), exactly as docs/EVENTS.md states them for \
            the custody types; the members listed are the only ones allowed. A format-2 ledger follows the schemas \
            marked "(version 2)" for those types (docs/EVENTS.md §8).

            Examples:
              ledger types
              ledger types --markdown
              ledger types --schemas
            """)
    @Flag(help: "Print the rows of docs/FORMAT.md §5 in Markdown.") var markdown = false
    @Flag(help: "Print every type's data schema in Markdown, as docs/EVENTS.md states it.") var schemas = false
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        guard [markdown, schemas, json].filter({ $0 }).count <= 1 else {
            throw ValidationError("Choose one of --markdown, --schemas and --json.")
        }
    }

    func run() throws {
        let rules = TypeTable.custody.rows
        if markdown {
            for rule in rules { print(rule.markdownRow) }
            return
        }
        if schemas {
            for rule in rules { print(rule.data.markdown(type: rule.type)) }
            for rule in TypeTable.custody.version2Rows { print(rule.data.markdown(type: rule.type)) }
            return
        }
        if json {
            printJSONLines(
                rules.map { rule in
                    [
                        "type": .string(rule.type), "stream": .string(rule.stream.description),
                        "roles": .array(rule.actorRoles.sorted().map { .string($0) }),
                        "signers": .string(rule.signerDescription),
                        "data": .array(
                            rule.data.fields.map {
                                ["name": .string($0.name), "required": .bool($0.required)]
                            }),
                        "correctable": .array(rule.correctable.map { .string($0) }),
                    ]
                })
            return
        }
        print(
            Table.render(
                header: ["TYPE", "STREAM", "WHO MAY SIGN", "SIGNERS"],
                rows: rules.map {
                    [
                        $0.type, $0.stream.description, $0.actorDescription.replacingOccurrences(of: "`", with: ""),
                        $0.signerDescription.replacingOccurrences(of: "`", with: ""),
                    ]
                }))
    }
}
