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
        let store = try location.open()
        let signer = try passphrase.loadKey(key)
        let result = try Appender.append(
            [
                EventDraft(
                    type: type, stream: stream, data: data.value, expectRev: expectRev, signer: signer,
                    coSigners: coSigners)
            ], to: store)
        let seq = result.seqs.first ?? 0
        if json {
            printJSON(["seq": .integer(seq), "type": .string(type), "stream": .string(stream)])
        } else {
            print("recorded \(type) at seq \(seq) in \(stream)" + (summary.map { ": \($0)" } ?? ""))
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

/// Stream names of the domain.
enum Streams {
    static func item(_ id: String) -> String { "item/" + id }
    static func target(_ id: String) -> String { "target/" + id }
    static func caseStream(_ id: String) -> String { "case/" + id }
}

/// The current time as RFC 3339 with the local offset, for `occurred_at` defaults.
func nowRFC3339() -> String {
    let formatter = ISO8601DateFormatter()
    formatter.timeZone = TimeZone.current
    formatter.formatOptions = [.withInternetDateTime]
    return formatter.string(from: Date())
}

/// A hash list `[{alg, value}]` from digests.
func hashList(_ digests: FileDigests) -> JSONValue {
    .array([
        ["alg": "md5", "value": .string(Hex.encode(digests.md5))],
        ["alg": "sha1", "value": .string(Hex.encode(digests.sha1))],
        ["alg": "sha256", "value": .string(Hex.encode(digests.sha256))],
    ])
}
