import ArgumentParser
import Foundation
import LedgerApp
import LedgerClient
import LedgerCore
import LedgerCrypto

/// `--ledger https://…`: the command line as a client of `ledger serve` (docs/API.md). Statements are signed here
/// with the person's own key file and submitted; reads come from the server, filtered by what the key may see.
extension LedgerOptions {
    /// The server's URL when the ledger location is one (http:// or https://), else nil.
    var serverURL: String? { path.hasPrefix("https://") || path.hasPrefix("http://") ? path : nil }

    /// A client of the server, signing with `keyFile` or else the key file `$LEDGER_KEY` names; HTTPS trusts the
    /// certificate authorities in `$LEDGER_CA_FILE` when set.
    func remote(keyFile: String?, passphrase: PassphraseOptions) throws -> RemoteLedger {
        guard let url = serverURL else { throw LedgerError.usage("\(path) is not a server URL") }
        let environment = ProcessInfo.processInfo.environment
        guard let file = keyFile ?? environment["LEDGER_KEY"], !file.isEmpty else {
            throw LedgerError.usage(
                "a server answers requests signed with your key: give --key FILE or set $LEDGER_KEY to your key file")
        }
        let signer = try passphrase.loadKey(file)
        return try RemoteLedger(url: url, signer: signer, caFile: environment["LEDGER_CA_FILE"])
    }

    /// Refuses a server URL for a command that needs the ledger itself, naming what works against a server.
    func refuseServer(_ command: String) throws(LedgerError) {
        guard serverURL != nil else { return }
        throw .usage(
            "`ledger \(command)` works on the ledger itself (a file or a database), not through a server; against a"
                + " server use the event commands, head, submit, items, item show, item history, log, targets, stats,"
                + " export, key register and verify (docs/API.md)")
    }
}

/// Records an event through a server: reads the stream's head from it, signs the statement here (and has the
/// co-signers sign it), submits it and returns the server's answer for it.
func recordRemotely(
    _ type: String, stream: String, data: JSONValue, signer: Ed25519PrivateKey, coSigners: [Ed25519PrivateKey],
    expectRev: Int64?, remote: RemoteLedger
) throws -> RemoteLedger.Outcome {
    try Blocking.wait {
        defer { Task { await remote.close() } }
        let position = try await remote.head(stream)
        if let expectRev, expectRev != position.rev {
            throw LedgerError(
                code: .staleRevision,
                "\(stream) is at revision \(position.rev), not \(expectRev) as expected: read it again")
        }
        var statement = try StatementSigning.sign(at: position, type: type, data: data, signer: signer)
        for coSigner in coSigners { statement = try StatementSigning.cosign(statement, signer: coSigner) }
        guard let outcome = try await remote.submit([statement]).first else {
            throw LedgerError(code: .store, "the server answered no result")
        }
        if let error = outcome.error { throw error }
        return outcome
    }
}

/// `--key` for commands that only read: the key that signs requests to a server (default `$LEDGER_KEY`); unused
/// on a local ledger.
struct ServerKeyOptions: ParsableArguments {
    @Option(
        name: .customLong("key"),
        help: ArgumentHelp(
            "With a server as --ledger: your key file, which signs the requests (default: $LEDGER_KEY).",
            valueName: "file"))
    var keyFile: String?
    @OptionGroup var passphrase: PassphraseOptions

    /// A client of the server `location` names.
    func remote(_ location: LedgerOptions) throws -> RemoteLedger {
        try location.remote(keyFile: keyFile, passphrase: passphrase)
    }
}

/// Reads a JSON answer of a server, blocking.
func remoteJSON(_ remote: RemoteLedger, _ path: String) throws -> JSONValue {
    try Blocking.wait {
        defer { Task { await remote.close() } }
        return try JSONParser.parse(try await remote.send("GET", path).body)
    }
}
