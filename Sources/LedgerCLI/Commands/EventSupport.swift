import ArgumentParser
import Foundation
import LedgerApp
import LedgerCore
import LedgerCrypto

/// The options of every command that records an event: the ledger, the signing key, JSON output.
struct EventOptions: ParsableArguments {
    @OptionGroup var location: LedgerOptions
    @Option(help: ArgumentHelp("Your signing key file.", valueName: "file")) var key: String
    @Option(help: "The stream's current last revision you expect; refused (exit 4) if it moved on.")
    var expectRev: Int64?
    @OptionGroup var passphrase: PassphraseOptions
    @Flag(help: "Print the result as JSON.") var json = false

    /// Decides and appends one event signed by `--key` (and any co-signers); prints what was recorded.
    func record(
        _ type: String, stream: String, data: DataBuilder, coSigners: [Ed25519PrivateKey] = [],
        summary: String? = nil
    ) throws {
        try record(type, stream: stream, json: data.value, coSigners: coSigners, summary: summary)
    }

    /// Decides and appends one event with `data`, signed by `--key` (and `coSigners`), and prints what happened.
    func record(
        _ type: String, stream: String, json data: JSONValue, coSigners: [Ed25519PrivateKey] = [],
        summary: String? = nil
    ) throws {
        let store = try location.open()
        let signer = try passphrase.loadKey(key)
        let result = try Appender.append(
            [
                EventDraft(
                    type: type, stream: stream, data: data, expectRev: expectRev, signer: signer,
                    coSigners: coSigners)
            ], to: store)
        let seq = result.seqs.first ?? 0
        if json {
            printJSON(["seq": .integer(seq), "type": .string(type), "stream": .string(stream)])
        } else {
            print(Terminal.line("recorded \(type) at seq \(seq) in \(stream)" + (summary.map { ": \($0)" } ?? "")))
        }
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
