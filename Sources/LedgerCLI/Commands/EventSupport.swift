import ArgumentParser
import CustodyDomain
import Foundation
import LedgerApp
import LedgerClient
import LedgerCore
import LedgerCrypto

/// The options of every command that records an event: the ledger, the signing key, JSON output.
struct EventOptions: ParsableArguments {
    @OptionGroup var location: LedgerOptions
    @Option(help: ArgumentHelp("Your signing key file.", valueName: "file")) var key: String
    @Option(help: "The stream's current last revision you expect; refused (exit 4) if it moved on.")
    var expectRev: Int64?
    @OptionGroup var passphrase: PassphraseOptions
    @Option(
        help: ArgumentHelp(
            "Sign offline instead of recording: add the signed statement to this statement file (record it later"
                + " with `ledger submit`; needs --head).", valueName: "file"))
    var out: String?
    @Option(
        help: ArgumentHelp(
            "With --out: the stream's position, as `ledger head STREAM --json` or `ledger item show --json` wrote it.",
            valueName: "file"))
    var head: String?
    @Option(
        help: ArgumentHelp(
            "With --out: how long the statement may wait to be recorded: 30m, 24h, 7d (at most 30d).",
            valueName: "duration"))
    var validFor: String = "24h"
    @Option(
        help: ArgumentHelp(
            "With --out: a checkpoint of this ledger you verified; the statement names its size and root.",
            valueName: "file"))
    var anchor: String?
    @Flag(help: "Print the result as JSON.") var json = false

    /// True when the command signs a statement into a file (`--out`) instead of recording in the ledger.
    var isOffline: Bool { out != nil }

    /// True when the command reads the ledger itself to prepare its event (not offline, not through a server,
    /// whose rules check the same when they sequence it).
    var readsLedger: Bool { out == nil && location.serverURL == nil }

    /// Decides and appends one event signed by `--key` (and any co-signers); prints what was recorded.
    func record(
        _ type: String, stream: String, data: DataBuilder, coSigners: [Ed25519PrivateKey] = [],
        summary: String? = nil
    ) throws {
        try record(type, stream: stream, json: data.value, coSigners: coSigners, summary: summary)
    }

    /// Decides and appends one event with `data`, signed by `--key` (and `coSigners`), and prints what happened.
    ///
    /// An error names the options the user gave, not the data members they became (``UserTerms``).
    func record(
        _ type: String, stream: String, json data: JSONValue, coSigners: [Ed25519PrivateKey] = [],
        summary: String? = nil
    ) throws {
        do { try recordOrSign(type, stream: stream, data: data, coSigners: coSigners, summary: summary) } catch {
            let terms = UserTerms(arguments: CommandLine.arguments)
            let failure = terms.rewrite(LedgerError.from(error), data: data)
            throw CommandError(failure, option: failure.violation?.field.flatMap { terms.option(for: $0, in: data) })
        }
    }

    private func recordOrSign(
        _ type: String, stream: String, data: JSONValue, coSigners: [Ed25519PrivateKey], summary: String?
    ) throws {
        if let out {
            try sign(type, stream: stream, data: data, coSigners: coSigners, into: out)
            return
        }
        if location.serverURL != nil {
            let signer = try passphrase.loadKey(key)
            let outcome = try recordRemotely(
                type, stream: stream, data: data, signer: signer, coSigners: coSigners, expectRev: expectRev,
                remote: try location.remote(keyFile: key, passphrase: passphrase))
            let seq = outcome.seq ?? 0
            if json {
                var members = [
                    JSONMember("id", .string(outcome.id)), JSONMember("seq", .integer(seq)),
                    JSONMember("stream", .string(stream)), JSONMember("type", .string(type)),
                ]
                if let receipt = outcome.receipt { members.append(JSONMember("receipt", .string(receipt))) }
                printJSON(.object(members))
            } else {
                let already = outcome.status == "already-recorded" ? " (already recorded)" : ""
                print(
                    Terminal.line(
                        "recorded \(type) at seq \(seq) in \(stream)\(already)" + (summary.map { ": \($0)" } ?? "")))
            }
            return
        }
        let store = try location.open()
        let signer = try passphrase.loadKey(key)
        let result = try explainingLogKey(signer, file: key, in: store) {
            try Appender.append(
                [
                    EventDraft(
                        type: type, stream: stream, data: data, expectRev: expectRev, signer: signer,
                        coSigners: coSigners)
                ], to: store)
        }
        let seq = result.seqs.first ?? 0
        if json {
            printJSON(["seq": .integer(seq), "type": .string(type), "stream": .string(stream)])
        } else {
            print(Terminal.line("recorded \(type) at seq \(seq) in \(stream)" + (summary.map { ": \($0)" } ?? "")))
        }
    }
}

extension EventOptions {
    /// Signs the event as a version-2 statement at the position `--head` names, without the ledger, and adds it to
    /// the statement file `file` (chained onto statements of the same stream already in it); co-signers sign it at
    /// once, each at their own moment.
    func sign(
        _ type: String, stream: String, data: JSONValue, coSigners: [Ed25519PrivateKey], into file: String
    ) throws {
        guard let head else { throw LedgerError.usage("--out needs --head FILE (from `ledger head \(stream) --json`)") }
        guard expectRev == nil else { throw LedgerError.usage("--expect-rev does not apply to --out: --head fixes it") }
        let position = try StreamPosition(json: try parseJSONFile(head, what: "head file"))
        guard position.stream.hasSameBytes(as: stream) else {
            throw LedgerError.usage("\(head) is the position of \(position.stream), not of \(stream)")
        }
        let signer = try passphrase.loadKey(key)
        let existing =
            FileManager.default.fileExists(atPath: file)
            ? try StatementSigning.read(file: try readFileBytes(file, what: "statement file"), name: file) : []
        let anchored = try anchor.map { file throws(LedgerError) in
            try StatementSigning.anchor(
                checkpointText: String(decoding: try readFileBytes(file, what: "anchor checkpoint"), as: UTF8.self),
                for: position)
        }
        var statement = try StatementSigning.sign(
            at: StatementSigning.position(after: existing, from: position), type: type, data: data, signer: signer,
            anchor: anchored, lifetime: try statementLifetime(validFor))
        for coSigner in coSigners { statement = try StatementSigning.cosign(statement, signer: coSigner) }
        try replaceFile(file, with: StatementSigning.file(existing + [statement]))
        if json {
            printJSON([
                "file": .string(file), "id": .string(statement.body.id), "type": .string(type),
                "stream": .string(stream), "stream_rev": .integer(statement.body.streamRev),
                "statement_hash": .string(statement.statementHashHex), "signed_at": .string(statement.body.signedAt),
                "expires": .string(statement.body.expires),
            ])
        } else {
            print(
                Terminal.line(
                    "signed \(type) on \(stream) (revision \(statement.body.streamRev)) into \(file); record it before"
                        + " \(statement.body.expires) with `ledger submit \(file)`"))
        }
    }
}

extension EventOptions {
    /// The key id of a witness who co-signs the statement file later (`--witness KEYID`, only with `--out`).
    func laterWitness(_ keyID: String?, alongside keyFile: String?) throws(LedgerError) -> String? {
        guard let keyID else { return nil }
        guard keyFile == nil else { throw .usage("give --witness-key FILE or --witness KEYID, not both") }
        guard isOffline else {
            throw .usage(
                "--witness KEYID names a witness who co-signs later: use it with --out FILE (then `ledger cosign`),"
                    + " or give --witness-key FILE to co-sign now")
        }
        guard Hex.isCanonical(keyID, byteCount: 32) else {
            throw .usage("--witness must be a key id (64 lowercase hex)")
        }
        return keyID
    }
}

/// Milliseconds from `30m`, `24h`, `7d` (at most 30 days).
func statementLifetime(_ text: String) throws(LedgerError) -> Int64 {
    let units: [Character: Int64] = ["m": 60_000, "h": 3_600_000, "d": 86_400_000]
    guard let unit = text.last.flatMap({ units[$0] }), let count = Int64(text.dropLast()), count > 0,
        count <= 30 * 86_400_000 / unit
    else { throw .usage("--valid-for \(text): give minutes, hours or days, e.g. 30m, 24h, 7d (at most 30d)") }
    return count * unit
}

/// `--at`: when a physical act happened, if it is recorded later (from a paper form); `occurred_at` in the data.
struct ActTime: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "When it happened, if not now: RFC 3339 with offset, e.g. 2024-06-01T14:05:00+02:00 (a format-2 ledger).",
            valueName: "time"))
    var at: String?

    /// `data` with `occurred_at` when `--at` was given.
    func added(to data: DataBuilder) -> DataBuilder {
        var data = data
        data["occurred_at"] = at
        return data
    }

    /// The object `data` with `occurred_at` added when `--at` was given.
    func added(to data: JSONValue) -> JSONValue {
        guard let at, case .object(let members) = data else { return data }
        return .object(members + [JSONMember("occurred_at", .string(at))])
    }
}

/// Builds event data from options, leaving out the ones not given.
struct DataBuilder {
    private(set) var members: [JSONMember] = []

    init() {}

    /// Data from text members in order, leaving out the ones not given.
    init(_ pairs: KeyValuePairs<String, String?>) {
        for (name, value) in pairs { self[name] = value }
    }

    subscript(name: String) -> String? {
        get { members.first { $0.name == name }?.value.stringValue }
        set { if let newValue { members.append(JSONMember(name, .string(newValue))) } }
    }

    mutating func set(_ name: String, _ value: JSONValue?) {
        if let value { members.append(JSONMember(name, value)) }
    }

    mutating func set(_ name: String, strings: [String]) {
        members.append(JSONMember(name, .array(strings.map { .string($0) })))
    }

    var value: JSONValue { .object(members) }
}

/// The current time as RFC 3339 with the local offset, for `occurred_at` defaults.
func nowRFC3339() -> String {
    let formatter = ISO8601DateFormatter()
    formatter.timeZone = TimeZone.current
    formatter.formatOptions = [.withInternetDateTime]
    return formatter.string(from: Date())
}
