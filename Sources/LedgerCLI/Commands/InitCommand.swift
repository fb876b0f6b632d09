import ArgumentParser
import Foundation
import LedgerApp
import LedgerCore
import LedgerStores

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

            In PostgreSQL (--ledger postgresql://OWNER@HOST/DATABASE, an existing database, connected as its \
            owner): creates the schema `ledger` with its append-only triggers, and the runtime role appends \
            connect as (--writer-role, default DATABASE_writer), which may only read, append and keep the \
            projections. Appends connected as the owner or a superuser are refused. docs/POSTGRESQL.md says more.

            Examples:
              ledger init --origin ledger.example.org/op-synergia --name "Ada Admin" \\
                  --person ada --agency "Example Crime Agency" --admin-key ada.pem \\
                  --log-key log.pem
              createdb custody && ledger init --origin ledger.example.org/op-synergia \\
                  --ledger postgresql://localhost/custody --writer-password-file writer.pw
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
    @OptionGroup var writer: WriterRoleOptions
    @Flag(help: "Print the result as JSON.") var json = false

    func run() throws {
        let stores = try writer.stores(for: location.path)
        let target = LedgerLocation(location.path, stores: stores)
        let appendLocation = stores.appendLocation(forCreated: location.path)
        let result = try LedgerSetup.initialize(
            at: target, origin: origin, admin: Identity(name: name, person: person, agency: agency),
            adminKeyPath: adminKey, logKeyPath: logKey, passphrase: try passphrase.passphrase(),
            format: format)
        if json {
            printJSON([
                "ledger": .string(location.location.description), "origin": .string(result.origin),
                "admin_key_id": .string(result.adminKeyID), "admin_key_file": .string(result.adminKeyPath),
                "log_key_file": .string(result.logKeyPath), "log_vkey": .string(result.logVKey),
                "append_ledger": appendLocation.map { .string(stores.displayName($0)) } ?? .null,
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
        if let appendLocation {
            print(
                """
                Appends connect as the runtime role, which may only read and append (\(
                    writer.writerPasswordFile == nil
                        ? "it has no password: give it one with ALTER ROLE … PASSWORD, or allow it in pg_hba.conf"
                        : "its password is the one in \(writer.writerPasswordFile ?? ""); put it in $PGPASSWORD")):
                  export LEDGER_PATH='\(appendLocation)'
                """)
        }
    }
}

/// For a ledger created in PostgreSQL: the runtime role that appends connect as.
struct WriterRoleOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "PostgreSQL only: the runtime role appends connect as, created with LOGIN if missing (default:"
                + " DATABASE_writer).", valueName: "role"))
    var writerRole: String?
    @Option(
        help: ArgumentHelp(
            "PostgreSQL only: a file whose first line is the password to give the runtime role.", valueName: "file"))
    var writerPasswordFile: String?

    /// The stores that create the ledger at `location` with this role; a role option for a SQLite file is refused.
    func stores(for location: String) throws -> StandardStores {
        guard writerRole != nil || writerPasswordFile != nil else { return StandardStores() }
        guard StandardStores().appendLocation(forCreated: location) != nil else {
            throw LedgerError.usage("--writer-role and --writer-password-file apply to PostgreSQL ledgers only")
        }
        if let writerRole {
            let allowed = writerRole.utf8.allSatisfy {
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
                    || $0 == UInt8(ascii: "_")
            }
            guard allowed, (1...63).contains(writerRole.utf8.count), writerRole.first?.isNumber == false else {
                throw LedgerError.usage(
                    "--writer-role \(writerRole): a role name is 1 to 63 of a-z 0-9 _, not starting with a digit")
            }
        }
        var password: String?
        if let file = writerPasswordFile {
            guard let data = FileManager.default.contents(atPath: file),
                let line = String(data: data, encoding: .utf8)?.split(whereSeparator: \.isNewline).first,
                !line.isEmpty
            else {
                throw LedgerError.usage("--writer-password-file \(file): cannot read a password from its first line")
            }
            password = String(line)
        }
        return StandardStores(writerRole: writerRole, writerPassword: password)
    }
}
