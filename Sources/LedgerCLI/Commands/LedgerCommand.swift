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
              ledger demo      (a whole operation into ./synergia-demo; stats; verify)

            By hand:
              ledger init --origin ledger.example.org/op-demo \\
                  --name "Ada Admin" --person ada --agency "NCA"
              ledger key generate --out bob.pem --name "Bob Custodian" \\
                  --person bob --agency "BKA" \\
                  --origin ledger.example.org/op-demo > bob.request.json
              ledger key register bob.request.json --roles custodian --key admin.pem
              ledger append --type ledger.note --stream ledger \\
                  --data '{"text":"Evidence room B opened."}' --key admin.pem
              ledger case open OP-1 --title "Op One" --legal-basis "JIT 7" \\
                  --agency NCA --key carol.pem
              ledger item seize EV-1 --case OP-1 … --seal S-1 --key carol.pem
              ledger transfer EV-1 --to bob --purpose Storage --seal S-1 \\
                  --key carol.pem
              ledger receive EV-1 --seal S-1 --key bob.pem
              ledger item history EV-1
              ledger checkpoint --log-key log.pem
              ledger verify

            Signing away from the ledger (statements; docs/FORMAT.md §12):
              ledger item show EV-1 --json > ev1.json        (at the office)
              ledger receive EV-1 --seal S-1 --key bob.pem \\
                  --head ev1.json --out field.statements       (in the field)
              ledger submit field.statements --receipt ev1.receipt

            Exit statuses: 0 success; 1 integrity failure; 2 usage or I/O error; 3 findings only; \
            4 conflict (a retry may succeed).
            """,
        version: LedgerVersion.current,
        subcommands: [
            DemoCommand.self, InitCommand.self, KeyCommand.self, CaseCommand.self, TargetCommand.self,
            TakedownCommand.self, ItemCommand.self, TransferCommand.self, ReceiveCommand.self, NoteCommand.self,
            CorrectCommand.self, ItemsCommand.self, TargetsCommand.self, PeopleCommand.self, StatsCommand.self,
            AppendCommand.self, HeadCommand.self, SignCommand.self, CosignCommand.self, SubmitCommand.self,
            LogCommand.self, CheckpointCommand.self, VerifyCommand.self, RebuildCommand.self, ProofCommand.self,
            WitnessCommand.self, LogKeyCommand.self, ExportCommand.self, VerifyBundleCommand.self,
            TypesCommand.self,
        ]
    )
}

/// Options every command that touches a ledger takes.
struct LedgerOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The ledger database file (default: $LEDGER_PATH, or custody.ledger in the current folder).",
            valueName: "path"))
    var ledger: String?

    /// The location as given (or defaulted).
    var path: String { ledger ?? ProcessInfo.processInfo.environment["LEDGER_PATH"] ?? "custody.ledger" }

    /// The location resolved by the stores this build has.
    var location: LedgerLocation { LedgerLocation(path, stores: StandardStores()) }

    func open() throws(LedgerError) -> any LedgerStore { try location.open() }

    /// Opens the ledger for reading only (works on an auditor's write-protected copy).
    func openForReading() throws(LedgerError) -> any LedgerStore { try location.openForReading() }
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
            return line.isEmpty ? nil : String(line)
        }
        if let value = ProcessInfo.processInfo.environment["LEDGER_PASSPHRASE"], !value.isEmpty { return value }
        return nil
    }

    /// Loads a private key file; an encrypted key with no passphrase given is asked for on the terminal.
    func loadKey(_ path: String) throws(LedgerError) -> Ed25519PrivateKey {
        let given = try passphrase()
        do { return try Ed25519PrivateKey(contentsOfFile: path, passphrase: given) } catch {
            guard error.isPassphraseProblem, given == nil, isatty(STDIN_FILENO) == 1,
                let typed = getpass("Passphrase for \(path): ")
            else { throw .usage("\(path): \(error.description)") }
            let text = String(cString: typed)
            memset(typed, 0, strlen(typed))
            return try KeyFiles.load(path, passphrase: text)
        }
    }
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
