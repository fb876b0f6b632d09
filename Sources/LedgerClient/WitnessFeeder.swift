import AsyncHTTPClient
import Foundation
import LedgerApp
import LedgerCore
import LedgerCrypto
import Logging
import NIOCore
import NIOHTTP1

/// A witness a ledger's checkpoints are submitted to: its C2SP tlog-witness submission URL and its cosigner key.
public struct WitnessEndpoint: Sendable {
    /// The submission prefix (`https://witness.bka.example`); `/add-checkpoint` is appended.
    public let url: String
    /// The witness's key: only its cosignatures are kept.
    public let key: CosignerKey

    /// A witness from its URL and vkey.
    public init(url: String, vkey: String) throws(LedgerError) {
        var base = url
        while base.hasSuffix("/") { base.removeLast() }
        guard base.hasPrefix("http://") || base.hasPrefix("https://") else {
            throw .usage("a witness is reached at an http:// or https:// URL, not \(url)")
        }
        self.url = base
        do { key = try CosignerKey(vkey: vkey) } catch { throw .usage("the witness vkey \(vkey): \(error)") }
    }
}

/// Submits a ledger's newest checkpoint to its witnesses with the C2SP tlog-witness `add-checkpoint` protocol and
/// stores the cosignatures they return beside the checkpoint, so that `/checkpoint` serves it cosigned.
///
/// Each witness's last cosigned size is remembered (from its answers: a 409 tells it, and the request is proved
/// again from there); consistency proofs come from the ledger's stored tree. Work is coalesced: however many
/// commits happen while a round runs, the next round submits only the newest checkpoint.
public actor WitnessFeeder {
    private let store: any LedgerStore
    private let witnesses: [WitnessEndpoint]
    private let logger: Logger
    /// Per witness (by index), the size it last cosigned, as far as this process knows.
    private var cosigned: [Int: Int64] = [:]
    private var wanted = false
    private var running = false
    /// Rounds finished (for tests and metrics).
    public private(set) var rounds = 0

    /// A feeder for `store`'s checkpoints.
    public init(store: any LedgerStore, witnesses: [WitnessEndpoint], logger: Logger) {
        self.store = store
        self.witnesses = witnesses
        self.logger = logger
    }

    /// Asks for a round soon: a new checkpoint was committed (or a periodic retry).
    public func checkpointsChanged() {
        guard !witnesses.isEmpty else { return }
        wanted = true
        guard !running else { return }
        running = true
        Task { await self.drain() }
    }

    private func drain() async {
        while wanted {
            wanted = false
            await round()
            rounds += 1
        }
        running = false
    }

    private func round() async {
        let store = self.store
        let newest: (size: Int64, note: String)?
        do { newest = try await OffExecutor.run { try store.read { try $0.checkpointNote(.newest) } } } catch {
            logger.warning("witnessing: cannot read the newest checkpoint: \(error)")
            return
        }
        guard let newest else { return }
        await withTaskGroup(of: (Int, Int64?).self) { group in
            for (index, witness) in witnesses.enumerated() {
                let known = cosigned[index] ?? 0
                if known >= newest.size, newest.note.contains("\u{2014} \(witness.key.name) ") { continue }
                group.addTask { [logger] in
                    do {
                        return (index, try await Self.submit(newest, to: witness, from: known, store: store))
                    } catch {
                        logger.warning("witnessing: \(witness.url) did not cosign size \(newest.size): \(error)")
                        return (index, nil)
                    }
                }
            }
            for await (index, size) in group {
                if let size { cosigned[index] = size }
            }
        }
    }

    /// Submits the checkpoint to one witness, proving from `known` (and once more from the size a 409 names);
    /// stores the witness's cosignature and returns the size it now has cosigned.
    static func submit(
        _ checkpoint: (size: Int64, note: String), to witness: WitnessEndpoint, from known: Int64,
        store: any LedgerStore
    ) async throws -> Int64 {
        var old = known
        for _ in 0..<2 {
            let from = old
            let proof: [[UInt8]] =
                from == 0 || from >= checkpoint.size
                ? []
                : try await OffExecutor.run {
                    try ProofBuilder.consistency(old: from, new: checkpoint.size, in: store).hashes
                }
            var body = "old \(old)\n"
            for hash in proof { body += Base64.encode(hash) + "\n" }
            body += "\n" + checkpoint.note
            var request = HTTPClientRequest(url: witness.url + "/add-checkpoint")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
            request.body = .bytes(ByteBuffer(string: body))
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            let answer = String(buffer: try await response.body.collect(upTo: 64 << 10))
            switch response.status.code {
            case 200:
                var stored = 0
                for line in answer.split(separator: "\n") where line.hasPrefix("\u{2014} ") {
                    let text = String(line) + "\n"
                    // Lines of keys other than the configured one are ignored (tlog-witness).
                    if (try? await OffExecutor.run {
                        try Checkpointer.addCosignature(
                            store: store, size: checkpoint.size, line: text, witness: witness.key)
                    }) != nil {
                        stored += 1
                    }
                }
                guard stored > 0 else {
                    throw LedgerError(code: .signature, "the witness answered no cosignature by \(witness.key.name)")
                }
                return checkpoint.size
            case 409 where response.headers.first(name: "Content-Type")?.hasPrefix("text/x.tlog.size") == true:
                guard let size = Int64(answer.trimmingCharacters(in: .whitespacesAndNewlines)), size >= 0,
                    size <= checkpoint.size, size != old
                else {
                    throw LedgerError(code: .conflict, "the witness has cosigned size \(answer.prefix(20)), not ours")
                }
                old = size
            default:
                throw LedgerError(
                    code: .conflict, "the witness answered \(response.status.code): \(answer.prefix(200))")
            }
        }
        throw LedgerError(code: .conflict, "the witness's size kept changing")
    }
}
