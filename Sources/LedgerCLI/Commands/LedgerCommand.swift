import ArgumentParser
import Foundation
import LedgerApp
import LedgerCore
import LedgerCrypto
import LedgerStores

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `ledger`: the root command.
struct LedgerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "An append-only, hash-chained, signed chain-of-custody ledger for digital evidence.",
        discussion: """
            Every action is an entry signed with Ed25519, chained by SHA-256 and covered by an RFC 9162 Merkle \
            tree whose checkpoints the ledger's log key signs. `ledger verify` proves nothing was changed, \
            removed, reordered or forged. The format is specified in docs/FORMAT.md.

            Projections replay the log into current state: where each item is, who holds it, each target's \
            status, the operation's figures (docs/EVENTS.md).

            Quick start:
              ledger demo   (a whole operation into ./synergia-demo; stats; verify)

            By hand:
              ledger init --origin ledger.example.org/op-demo --name "Ada Admin" \\
                  --person ada --agency "NCA"
              ledger key generate --out bob.pem --name "Bob Custodian" --person bob \\
                  --agency "BKA" --origin ledger.example.org/op-demo > bob.request.json
              ledger key register bob.request.json --roles custodian --key admin.pem
              ledger append --type ledger.note --stream ledger \\
                  --data '{"text":"Evidence room B opened."}' --key admin.pem
              ledger case open OP-1 --title "Op One" --legal-basis "JIT 7" --agency NCA \\
                  --key carol.pem
              ledger item seize EV-1 --case OP-1 … --seal S-1 --key carol.pem
              ledger transfer EV-1 --to bob --purpose Storage --seal S-1 --key carol.pem
              ledger receive EV-1 --seal S-1 --location "Store B" --key bob.pem
              ledger item history EV-1
              ledger checkpoint --log-key log.pem
              ledger verify

            Signing away from the ledger (statements; docs/FORMAT.md §12):
              # at the office
              ledger item show EV-1 --json > ev1.json
              # in the field
              ledger receive EV-1 --seal S-1 --location "Store B" --key bob.pem \\
                  --head ev1.json --out field.statements
              ledger submit field.statements --receipt ev1.receipt

            Exit statuses (docs/FORMAT.md §9): \(LedgerError.exitStatusSummary).
            """,
        version: LedgerVersion.current,
        subcommands: [
            DemoCommand.self, InitCommand.self, KeyCommand.self, CaseCommand.self, TargetCommand.self,
            TakedownCommand.self, ItemCommand.self, TransferCommand.self, ReceiveCommand.self, NoteCommand.self,
            CorrectCommand.self, ItemsCommand.self, TargetsCommand.self, PeopleCommand.self, StatsCommand.self,
            AppendCommand.self, HeadCommand.self, SignCommand.self, CosignCommand.self, SubmitCommand.self,
            LogCommand.self, CheckpointCommand.self, VerifyCommand.self, RebuildCommand.self, CopyCommand.self,
            ProofCommand.self, WitnessCommand.self, LogKeyCommand.self, ExportCommand.self, VerifyBundleCommand.self,
            TypesCommand.self, ServeCommand.self, LabelCommand.self,
        ]
    )
}

/// Options every command that touches a ledger takes.
struct LedgerOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The ledger: a SQLite file, a PostgreSQL database as postgresql://user@host:port/database, or a"
                + " server as https://host (default: $LEDGER_PATH, or custody.ledger in the current folder).",
            valueName: "location"))
    var ledger: String?

    /// The location as given (or defaulted).
    var path: String { ledger ?? ProcessInfo.processInfo.environment["LEDGER_PATH"] ?? "custody.ledger" }

    /// The location resolved by the stores this build has.
    var location: LedgerLocation { LedgerLocation(path, stores: StandardStores()) }

    func open() throws(LedgerError) -> any LedgerStore {
        try refuseServer(CommandLine.arguments.dropFirst().first ?? "")
        try refuseFolder()
        return try location.open()
    }

    /// Opens the ledger for reading only (works on an auditor's write-protected copy).
    func openForReading() throws(LedgerError) -> any LedgerStore {
        try refuseServer(CommandLine.arguments.dropFirst().first ?? "")
        try refuseFolder()
        return try location.openForReading()
    }

    /// A folder is not a ledger: say so in those words, naming the ledger file inside it if there is one.
    private func refuseFolder() throws(LedgerError) {
        guard isFolder(path) else { return }
        let inside = URL(fileURLWithPath: path).appendingPathComponent("custody.ledger").path
        let what = ledger == nil ? "the ledger location \(path)" : "--ledger \(path)"
        throw .usage(
            "\(what) is a folder; give the ledger's file"
                + (FileManager.default.fileExists(atPath: inside) ? " (\(inside))" : " (e.g. \(inside))"))
    }
}

/// What a verification trusts, as `verify` and `verify-bundle` take it.
///
/// The pinned log key, the witnesses and their quorum, the TSA's CA.
struct TrustOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The log key's vkey you trust (pins the log key).", valueName: "vkey"))
    var trustLogKey: String?
    @Option(help: ArgumentHelp("A witness whose cosignature on the checkpoint counts (repeat).", valueName: "vkey"))
    var witness: [String] = []
    @Option(help: "How many of the named witnesses must have cosigned the checkpoint.") var witnessQuorum = 0
    @Option(
        help: ArgumentHelp(
            "CA certificates (PEM) the RFC 3161 time stamps must chain to; checks them.", valueName: "file"))
    var tsaCa: String?

    func validate() throws {
        if witnessQuorum > witness.count {
            throw ValidationError("--witness-quorum \(witnessQuorum) is more than the \(witness.count) witnesses named")
        }
    }

    func pinnedLogKey() throws(LedgerError) -> NoteVerifierKey? {
        guard let trustLogKey else { return nil }
        do { return try NoteVerifierKey(vkey: trustLogKey) } catch { throw .usage("--trust-log-key: \(error)") }
    }

    func witnessKeys() throws(LedgerError) -> [CosignerKey] {
        var keys: [CosignerKey] = []
        for vkey in witness {
            do { keys.append(try CosignerKey(vkey: vkey)) } catch { throw .usage("--witness \(vkey): \(error)") }
        }
        return keys
    }
}

/// How to get a key file's passphrase.
struct PassphraseOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Read the key passphrase from this file (first line). Without it, $LEDGER_PASSPHRASE is used if set.",
            valueName: "file"))
    var passphraseFile: String?

    func passphrase() throws(LedgerError) -> String? {
        if let passphraseFile {
            guard let data = FileManager.default.contents(atPath: passphraseFile),
                let text = String(data: data, encoding: .utf8)
            else { throw .usage("cannot read passphrase file \(passphraseFile)") }
            let line = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            // An empty one would leave a new key unencrypted, which is not what giving a passphrase asks for.
            guard !line.isEmpty else {
                throw .usage("the passphrase file \(passphraseFile) is empty: put the passphrase on its first line")
            }
            return String(line)
        }
        if let value = ProcessInfo.processInfo.environment["LEDGER_PASSPHRASE"], !value.isEmpty { return value }
        return nil
    }

    /// Loads a private key file; an encrypted key with no passphrase given is asked for on the terminal.
    func loadKey(_ path: String) throws(LedgerError) -> Ed25519PrivateKey {
        try refuseFolder(path, given: "the key file")
        guard FileManager.default.fileExists(atPath: path) else { throw .usage("there is no key file \(path)") }
        let given = try passphrase()
        do { return try Ed25519PrivateKey(contentsOfFile: path, passphrase: given) } catch {
            guard error.isPassphraseProblem, given == nil, isatty(STDIN_FILENO) == 1,
                let typed = getpass("Passphrase for \(path): ")
            else { throw .usage(KeyFiles.problem(error, file: path)) }
            let text = String(cString: typed)
            memset(typed, 0, strlen(typed))
            return try KeyFiles.load(path, passphrase: text)
        }
    }

    /// The log key: the file given as `--log-key`, else the one the ledger in `store` names, else `log.pem`.
    ///
    /// The ledger names `$LEDGER_LOG_KEY`, or the file `ledger init` wrote (a format-2 ledger remembers it), as
    /// appends find it. Read like any key file (`--passphrase-file`, or asked for on the terminal); one the ledger
    /// names must be its log key in force.
    func loadLogKey(_ given: String?, for store: any LedgerStore) throws -> Ed25519PrivateKey {
        if let given { return try loadKey(given) }
        guard let named = try LogKeyFile.path(of: store) else { return try loadKey("log.pem") }
        // A ledger copied from another machine names a file that is not here: log.pem in this folder, if any.
        guard let file = [named, "log.pem"].first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw LedgerError.usage(
                "the ledger's log key file \(named) is not here: give --log-key FILE (or set LEDGER_LOG_KEY)")
        }
        let key = try loadKey(file)
        try LogKeyFile.requireInForce(key, of: store, file: file)
        return key
    }
}

/// Runs an append signed by the key in `file` (given as `--key`); when it is refused for its signer and that key is
/// the ledger's log key (seq 1's or a rotated one), says so in those words instead.
func explainingLogKey<Result>(
    _ signer: Ed25519PrivateKey, file: String, in store: any LedgerStore, _ append: () throws -> Result
) throws -> Result {
    do { return try append() } catch {
        let failure = LedgerError.from(error)
        guard failure.code == .signature, isLogKey(signer, of: store) else { throw error }
        throw LedgerError.usage(
            "--key \(file) is the ledger's log key, which signs checkpoints only; give your own signing key as --key"
        )
    }
}

/// True when `key` is a log key of the ledger in `store`: the one seq 1 names or one rotated to since.
private func isLogKey(_ key: Ed25519PrivateKey, of store: any LedgerStore) -> Bool {
    let raw = key.publicKey.raw
    let found: Bool? = try? store.read { reader in
        if try LedgerFacts.logKey(reader).publicKey.raw == raw { return true }
        // FORMAT.md §12.10: each rotation names the new log key in the ledger's own stream.
        return try LedgerFacts.logKeyRotations(reader).contains { _, body in
            guard let text = body.data.member("log_vkey")?.stringValue else { return false }
            return (try? NoteVerifierKey(vkey: text).publicKey.raw) == raw
        }
    }
    return found ?? false
}

/// True when `path` names a folder.
func isFolder(_ path: String) -> Bool {
    var folder: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &folder) && folder.boolValue
}

/// Refuses a folder where a file is wanted, in those words: "--jsonl /tmp is a folder, not a JSON Lines file".
func refuseFolder(_ path: String, given what: String) throws(LedgerError) {
    guard isFolder(path) else { return }
    throw .usage("\(what) \(path) is a folder, not a file")
}

/// Reads `@FILE` or inline text.
func readArgumentBytes(_ value: String, what: String) throws(LedgerError) -> [UInt8] {
    if value.hasPrefix("@") {
        let path = String(value.dropFirst())
        if path == "-" { return [UInt8](FileHandle.standardInput.readDataToEndOfFile()) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .usage("cannot read \(what) file \(path)")
        }
        return [UInt8](data)
    }
    return Array(value.utf8)
}

/// Reads a whole file given as an argument ("-" for standard input).
func readFileBytes(_ path: String, what: String) throws(LedgerError) -> [UInt8] {
    if path == "-" { return [UInt8](FileHandle.standardInput.readDataToEndOfFile()) }
    try refuseFolder(path, given: what)
    guard FileManager.default.fileExists(atPath: path) else { throw .usage("there is no \(what) \(path)") }
    guard let data = FileManager.default.contents(atPath: path) else { throw .usage("cannot read \(what) \(path)") }
    return [UInt8](data)
}

/// Writes text to standard output.
func printOut(_ text: String) {
    print(text, terminator: "")
}

/// Writes one line to standard error.
func printErr(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Prints a JSON value as canonical JSON followed by a newline.
func printJSON(_ value: JSONValue) {
    print(String(decoding: JCS.serialize(value), as: UTF8.self))
}

/// Prints rows as JSON Lines, one canonical JSON object per line: the `--json` form of every list (FORMAT.md §9;
/// a single result is one object).
func printJSONLines(_ rows: [JSONValue]) {
    for row in rows { printJSON(row) }
}

/// `--json` for commands whose result is one message: that message as a JSON object.
struct JSONOutput: ParsableArguments {
    @Flag(help: "Print the result as one JSON object.") var json = false

    /// Prints `text` for people, or `object` under `--json`.
    func emit(_ text: @autoclosure () -> String, json object: @autoclosure () -> JSONValue) {
        if json { printJSON(object()) } else { print(text()) }
    }
}
