import ArgumentParser
import LedgerApp
import LedgerCore

/// `ledger log-key`: the ledger's own key.
struct LogKeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log-key",
        abstract: "Manage the log key that signs the ledger's checkpoints.",
        subcommands: [Rotate.self])

    struct Rotate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace the log key (format 2): a new key, authorized by the old one, recorded by an admin.",
            discussion: """
                Writes a new log key (mode 0600) and records ledger.log-key-rotated, signed by your admin key and by \
                both log keys (docs/FORMAT.md §12.10). From that entry on, checkpoints are signed by the new key and \
                the ledger finds it in the new file; verifiers follow the rotation, and a vkey pinned earlier stays \
                good. Keep the old key file until witnesses and auditors have the new vkey, then destroy it.

                Example:
                  ledger log-key rotate --out log-2027.pem --key ada.pem
                """)

        @OptionGroup var location: LedgerOptions
        @Option(help: ArgumentHelp("Where to write the new log key.", valueName: "file")) var out: String
        @Option(help: ArgumentHelp("Your admin signing key file.", valueName: "file")) var key: String
        @OptionGroup var passphrase: PassphraseOptions
        @Flag(help: "Print the result as JSON.") var json = false

        func run() throws {
            let admin = try passphrase.loadKey(key)
            let result = try LogKeyRotation.rotate(
                store: try location.open(), admin: admin, newKeyPath: out, passphrase: try passphrase.passphrase())
            if json {
                printJSON([
                    "seq": .integer(result.seq), "log_vkey": .string(result.vkey), "log_key_file": .string(result.path),
                ])
                return
            }
            print(
                """
                rotated the log key at seq \(result.seq); checkpoints are now signed by the key in \(result.path)
                  new log vkey  \(result.vkey)
                Give the new vkey to witnesses and auditors; a vkey pinned earlier still verifies the ledger.
                """)
        }
    }
}
