import ArgumentParser
import CustodyDomain
import Foundation
import LedgerApp
import LedgerCore
import LedgerCrypto

struct AppendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "append",
        abstract: "Append a signed event (the generic append, for scripting).",
        discussion: """
            The event is checked against the type table (docs/FORMAT.md §5) and your key's roles before anything \
            is written. With --batch, every line of a JSON Lines file is one event \
            ({"type":…,"stream":…,"data":{…},"id":…,"expect_rev":…}); the whole batch is appended atomically, \
            all or nothing. With --chunk N, each N lines are appended atomically in their own transaction instead \
            (for very large files), pipelined: the next chunk is checked and signed while one commits. If a chunk \
            is refused, the chunks before it stay appended and the error names the chunk.

            Examples:
              ledger append --type ledger.note --stream ledger \\
                  --data '{"text":"Evidence room B opened."}' --key ada.pem
              ledger append --batch events.jsonl --key ada.pem
              ledger append --batch big.jsonl --chunk 1000 --key ada.pem
              ledger append ... --id 1b4e28ba-2fa1-41d2-883f-0016d3cca427
                  (a retry with the same id and content is a no-op)
              ledger append ... --expect-rev 3
                  (exit 4, nothing written, unless the stream is at revision 3)
            """)

    @OptionGroup var location: LedgerOptions
    @Option(help: "The event type, e.g. key.revoked.") var type: String?
    @Option(help: "The stream, e.g. key/<key id> or item/EV-0001.") var stream: String?
    @Option(help: ArgumentHelp("The event data: a JSON object, or @FILE.", valueName: "json")) var data: String?
    @Option(help: ArgumentHelp("The signing (actor) key file.", valueName: "file")) var key: String
    @Option(help: "The stream's current last revision you expect (0: the stream must be new).") var expectRev: Int64?
    @Option(help: "A UUIDv4 for the entry: appending the same event with the same id again changes nothing.")
    var id: String?
    @Option(help: ArgumentHelp("A JSON Lines file of events to append in one transaction.", valueName: "file"))
    var batch: String?
    @Option(help: ArgumentHelp("With --batch: append every N lines in a transaction of their own.", valueName: "n"))
    var chunk: Int?
    @OptionGroup var passphrase: PassphraseOptions
    @Flag(help: "Print the result as JSON.") var json = false

    func validate() throws {
        if let chunk {
            guard batch != nil else { throw ValidationError("--chunk needs --batch FILE") }
            guard chunk >= 1 else { throw ValidationError("--chunk must be 1 or more") }
        }
        if batch != nil {
            guard type == nil, stream == nil, data == nil, expectRev == nil, id == nil else {
                throw ValidationError("--batch cannot be combined with --type, --stream, --data, --expect-rev or --id")
            }
        } else {
            guard type != nil, stream != nil, data != nil else {
                throw ValidationError("give --type, --stream and --data (or --batch FILE)")
            }
        }
    }

    func run() throws {
        let store = try location.open()
        let signer = try passphrase.loadKey(key)
        var drafts: [EventDraft] = []
        if let batch {
            let bytes = try readFileBytes(batch, what: "batch file")
            var lineNumber = 0
            for line in bytes.split(separator: 0x0a, omittingEmptySubsequences: false) {
                lineNumber += 1
                if line.isEmpty { continue }
                drafts.append(try draft(fromLine: Array(line), number: lineNumber, signer: signer))
            }
        } else if let type, let stream, let data {
            let value = try parseData(try readArgumentBytes(data, what: "data"), where: "--data")
            drafts.append(
                EventDraft(id: id, type: type, stream: stream, data: value, expectRev: expectRev, signer: signer))
        }
        let progress = ProgressLine(label: "appending", total: Int64(drafts.count))
        let results: [AppendResult]
        if let chunk, drafts.count > chunk {
            let chunks = stride(from: 0, to: drafts.count, by: chunk).lazy.map {
                Array(drafts[$0..<min($0 + chunk, drafts.count)])
            }
            let count = drafts.count
            results = try explainingLogKey(signer, file: key, in: store) {
                try Appender.append(
                    batches: chunks, to: store,
                    name: { "chunk \($0) (events \(($0 - 1) * chunk + 1)–\(min($0 * chunk, count)))" }
                ) { progress.update(Int64($0)) }
            }
        } else {
            results = [
                try explainingLogKey(signer, file: key, in: store) {
                    try Appender.append(drafts, to: store) { progress.update(Int64($0)) }
                }
            ]
        }
        progress.finish()
        let seqs = results.flatMap(\.seqs)
        let written = results.filter { !$0.alreadyRecorded }.flatMap(\.seqs)
        if json {
            printJSON([
                "seqs": .array(seqs.map { .integer($0) }), "already_recorded": .bool(written.isEmpty),
                "appended": .integer(Int64(written.count)),
            ])
            return
        }
        func range(_ seqs: [Int64]) -> String {
            seqs.count == 1 ? "seq \(seqs[0])" : "seq \(seqs[0])…\(seqs[seqs.count - 1])"
        }
        if written.isEmpty {
            print("already recorded at \(range(seqs)); nothing written")
        } else {
            let earlier = seqs.count - written.count
            print(
                "appended \(written.count) \(written.count == 1 ? "entry" : "entries") at \(range(written))"
                    + (earlier > 0 ? "; \(earlier) were already recorded" : ""))
        }
    }

    private func parseData(_ bytes: [UInt8], where place: String) throws(LedgerError) -> JSONValue {
        guard bytes.count <= 65_536 else {
            throw .usage("\(place): the data is \(bytes.count) bytes, over the 64 KiB record limit")
        }
        let value: JSONValue
        do { value = try JSONParser.parse(bytes, profile: .ledgerV1) } catch { throw .usage("\(place): \(error)") }
        guard value.objectMembers != nil else { throw .usage("\(place): the data must be a JSON object") }
        return value
    }

    private func draft(fromLine line: [UInt8], number: Int, signer: Ed25519PrivateKey) throws(LedgerError) -> EventDraft
    {
        let value: JSONValue
        do { value = try JSONParser.parse(line, profile: .ledgerV1) } catch {
            throw .usage("batch line \(number): \(error)")
        }
        let known = ["type", "stream", "data", "id", "expect_rev"]
        for name in value.memberNames ?? [] where !known.contains(where: { $0.hasSameBytes(as: name) }) {
            throw .usage("batch line \(number): unknown member \"\(name)\" (allowed: \(known.joined(separator: ", ")))")
        }
        guard let type = value.member("type")?.stringValue, let stream = value.member("stream")?.stringValue,
            let data = value.member("data"), data.objectMembers != nil
        else { throw .usage("batch line \(number): needs \"type\", \"stream\" and an object \"data\"") }
        // Said with its line here: the append would refuse it too, naming the type but not the line.
        guard TypeTable.custody.rule(type, version: EntryBody.statementVersion) ?? TypeTable.custody.rule(type) != nil
        else {
            throw .usage("batch line \(number): unknown event type \"\(type)\" (not in the type table, docs/EVENTS.md)")
        }
        if let id = value.member("id"), id.stringValue == nil {
            throw .usage("batch line \(number): \"id\" must be a string (a lowercase UUIDv4)")
        }
        if let expect = value.member("expect_rev"), expect.integerValue == nil {
            throw .usage("batch line \(number): \"expect_rev\" must be an integer")
        }
        let id = value.member("id")?.stringValue
        let expect = value.member("expect_rev")?.integerValue
        return EventDraft(id: id, type: type, stream: stream, data: data, expectRev: expect, signer: signer)
    }
}
