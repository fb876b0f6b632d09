import ArgumentParser
import LedgerApp
import LedgerCore

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a new ledger, its log key and its first administrator's key.",
        discussion: """
            Writes two private key files (mode 0600, never overwritten): the first administrator's signing key \
            and the log key that signs checkpoints. Then creates the ledger with seq 1 (ledger.created, naming the \
            log key) and seq 2 (key.registered, the administrator), all or nothing.

            The ledger remembers where its log key file is: appends to a format-2 ledger sign a checkpoint with \
            every commit, so keep that file (mode 0600) on the workstation that owns the ledger, or set \
            $LEDGER_LOG_KEY to it.

            Example:
              ledger init --origin ledger.example.org/op-synergia --name "Ada Admin" \\
                  --person ada --agency "Example Crime Agency" --admin-key ada.pem \\
                  --log-key log.pem
            """)

    @OptionGroup var location: LedgerOptions
    @Option(help: "The ledger's origin, e.g. ledger.example.org/op-synergia (letters, digits, . _ / : -).")
    var origin: String
    @Option(help: "The administrator's full name.") var name: String = "Administrator"
    @Option(help: "The administrator's stable person id (A-Z a-z 0-9 . _ @ -).") var person: String = "admin"
    @Option(help: "The administrator's agency.") var agency: String = "Unspecified agency"
    @Option(help: ArgumentHelp("Where to write the administrator's private key.", valueName: "file"))
    var adminKey: String = "admin.pem"
    @Option(help: ArgumentHelp("Where to write the log key.", valueName: "file")) var logKey: String = "log.pem"
    @Option(
        help: ArgumentHelp(
            "The entry format: 2 (people sign statements, the ledger sequences them and attests each commit with its"
                + " log key; docs/FORMAT.md §12) or 1 (the actor signs each entry, ledger head included).",
            valueName: "version"))
    var format: Int64 = 2
    @OptionGroup var passphrase: PassphraseOptions
    @Flag(help: "Print the result as JSON.") var json = false

    func run() throws {
        let result = try LedgerSetup.initialize(
            at: location.location, origin: origin, admin: Identity(name: name, person: person, agency: agency),
            adminKeyPath: adminKey, logKeyPath: logKey, passphrase: try passphrase.passphrase(),
            format: format)
        if json {
            printJSON([
                "ledger": .string(location.location.description), "origin": .string(result.origin),
                "admin_key_id": .string(result.adminKeyID), "admin_key_file": .string(result.adminKeyPath),
                "log_key_file": .string(result.logKeyPath), "log_vkey": .string(result.logVKey),
            ])
            return
        }
        print(
            """
            Created ledger \(location.location) (origin \(result.origin)) with 2 entries.
              administrator key  \(result.adminKeyPath)  (key id \(result.adminKeyID))
              log key            \(result.logKeyPath)
              log vkey           \(result.logVKey)
            Keep both key files safe. Publish the log vkey so auditors can pin it:
              ledger verify --trust-log-key '\(result.logVKey)'
            """)
    }
}
