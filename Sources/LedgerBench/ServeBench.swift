import CustodyDomain
import Foundation
import LedgerApp
import LedgerClient
import LedgerConcurrency
import LedgerCore
import LedgerCrypto
import LedgerServer
import Logging
import ServiceLifecycle
import Synchronization

// `ledger-bench --serve` (issue 19's benchmark): statements signed beforehand, sequenced by `ledger serve` over
// loopback HTTP from many concurrent clients, against the same statements submitted locally (`Sequencer.submit`, what
// `ledger submit` runs) in the same run; then the latency of single statements at a tenth of the load; the server's
// resident memory throughout.

/// Statements of `count` new targets, signed beforehand on all cores, for the ledger `ledger`.
func presignedTargets(_ ledger: StatementLedger, count: Int, offset: Int = 0) throws -> [SignedStatement] {
    let rows = Array(try ledger.rows(offset + count).dropFirst(offset))
    let template = try StreamPosition.of("case/" + ledger.caseID, in: ledger.store)
    let caseID = ledger.caseID
    let officer = ledger.officer
    let signed = Parallel.map(Partition(items: rows.count, chunkSize: 256)) { index in
        Result { () throws(LedgerError) -> SignedStatement in
            let row = rows[index]
            let position = StreamPosition(
                ledger: template.ledger, genesis: template.genesis,
                stream: "target/" + CustodyQueries.targetID(caseID: caseID, kind: row.kind, value: row.value), rev: 0,
                prev: EntryBody.zeroHash)
            return try StatementSigning.sign(
                at: position, type: CustodyEvents.targetIdentified, data: row.data(caseID: caseID), signer: officer)
        }
    }
    return try signed.map { try $0.get() }
}

/// This process's resident memory, in MiB (Linux).
func residentMiB() -> Double {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
        let pages = text.split(separator: " ").dropFirst().first.flatMap({ Double($0) })
    else { return 0 }
    return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
}

/// Numbers gathered by several tasks.
final class Samples: Sendable {
    let values = Mutex<[Double]>([])
}

/// Counters the client tasks share.
final class ServeCounters: Sendable {
    let state = Mutex<(next: Int, recorded: Int, refused: Int, latencies: [Double])>((0, 0, 0, []))
}

func runServe(_ options: Options) throws {
    let directory =
        options.directory
        ?? FileManager.default.temporaryDirectory.appendingPathComponent("ledger-bench-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { if options.directory == nil { try? FileManager.default.removeItem(atPath: directory) } }
    let count = options.entries
    let batch = options.batch
    let clients = options.clients
    let seconds = Double(options.seconds)

    // The local path: the same kind and number of statements, `Sequencer.submit` in batches (as `ledger submit`).
    let local = try StatementLedger(directory: directory, name: "local")
    let localStatements = try presignedTargets(local, count: count)
    let localStart = ContinuousClock.now
    for start in stride(from: 0, to: localStatements.count, by: batch) {
        let outcomes = try Sequencer.submit(
            Array(localStatements[start..<min(start + batch, localStatements.count)]), to: local.store)
        guard outcomes.allSatisfy({ $0.seq != nil }) else {
            throw LedgerError.integrity("a local statement was refused")
        }
    }
    let localRate = Double(count) / benchSeconds(ContinuousClock.now - localStart)
    print("local Sequencer.submit (as `ledger submit`) of \(count) statements signed beforehand, batches of \(batch)")
    print(String(format: "serve_local_submit_per_s %.0f", localRate))

    // The server: its own ledger, the same statements (of its ledger), then single statements for the latency.
    let served = try StatementLedger(directory: directory, name: "served")
    let statements = try presignedTargets(served, count: count)
    let singles = try presignedTargets(served, count: max(200, count / 10), offset: count)
    var logging = Logger(label: "ledger-bench-serve")
    // Cancelling the server at the end makes Hummingbird log an error about its child channels: not a failure.
    logging.logLevel = .critical
    let logger = logging
    let server = LedgerServer(
        store: served.store, configuration: ServerConfiguration(host: "127.0.0.1", port: 0), logger: logger)
    let officer = served.officer
    let memory = Samples()
    let result = try Blocking.wait { () -> (rate: Double, elapsed: Double, p50: Double, p99: Double, singles: Int) in
        try await whileServing(server, logger: logger) { url in
            let sampler = Task {
                while !Task.isCancelled {
                    memory.values.withLock { $0.append(residentMiB()) }
                    try? await Task.sleep(for: .seconds(1))
                }
            }
            // Batches from `clients` connections until the time is up or the statements run out.
            let counters = ServeCounters()
            let deadline = ContinuousClock.now + .seconds(seconds)
            let start = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<clients {
                    group.addTask {
                        let client = try RemoteLedger(url: url, signer: officer)
                        while ContinuousClock.now < deadline {
                            let index = counters.state.withLock { state -> Int in
                                defer { state.next += batch }
                                return state.next
                            }
                            guard index < statements.count else { break }
                            let outcomes = try await client.submit(
                                Array(statements[index..<min(index + batch, statements.count)]))
                            counters.state.withLock { state in
                                for outcome in outcomes {
                                    if outcome.seq != nil { state.recorded += 1 } else { state.refused += 1 }
                                }
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let elapsed = benchSeconds(ContinuousClock.now - start)
            let recorded = counters.state.withLock { $0.recorded }
            let rate = Double(recorded) / elapsed
            // Single statements at a tenth of that rate, paced, each request timed from send to receipt.
            let pace = max(rate / 10, 1)
            let latencies = Samples()
            let singleStart = ContinuousClock.now
            // A discarding group: each finished request is released at once, so the client holds nothing per request
            // and the resident size measured is the server's working set plus the statements signed beforehand.
            try await withThrowingDiscardingTaskGroup { group in
                let client = try RemoteLedger(url: url, signer: officer)
                for (index, statement) in singles.enumerated() {
                    let due = singleStart + .milliseconds(Int64(Double(index) * 1000 / pace))
                    try await Task.sleep(until: due, clock: .continuous)
                    group.addTask {
                        let sent = ContinuousClock.now
                        let outcome = try await client.submit([statement])
                        guard outcome.first?.seq != nil else {
                            throw LedgerError.integrity("a single statement was refused")
                        }
                        latencies.values.withLock { $0.append(benchSeconds(ContinuousClock.now - sent) * 1000) }
                    }
                }
            }
            sampler.cancel()
            let sorted = latencies.values.withLock { $0 }.sorted()
            func percentile(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
            return (rate, elapsed, percentile(0.5), percentile(0.99), sorted.count)
        }
    }
    server.shutdown()
    let samples = memory.values.withLock { $0 }
    print(
        "ledger serve on loopback: \(clients) concurrent clients, batches of \(batch) statements signed beforehand,"
            + String(format: " for %.1f s", result.elapsed))
    print(String(format: "serve_statements_per_s %.0f", result.rate))
    print(String(format: "serve_over_local_submit %.2f (goal 0.5)", result.rate / localRate))
    print(
        String(
            format:
                "serve_single_latency_ms p50 %.1f p99 %.1f (%d single statements at %.0f/s, a tenth of the load; goal p99 < 50)",
            result.p50, result.p99, result.singles, max(result.rate / 10, 1)))
    if let first = samples.first, let last = samples.last, let peak = samples.max() {
        print(
            String(format: "serve_rss_mib start %.0f end %.0f max %.0f (%d samples)", first, last, peak, samples.count))
        // The resident size through the run, at ten evenly spaced moments: flat once the caches are full.
        let points = (0..<10).map { samples[min(samples.count - 1, $0 * samples.count / 10)] } + [last]
        print("serve_rss_mib_over_run " + points.map { String(format: "%.0f", $0) }.joined(separator: " "))
    }
    let report = try VerifyRunner.verify(store: served.store, options: VerifyOptions(), source: served.path)
    guard report.exitStatus == 0 else { throw LedgerError.integrity("the served ledger does not verify") }
    print("the served ledger verifies")
}

/// Runs `server` on its loopback port while `body` runs with the URL it answers at, then stops it (its group-commit
/// thread is the caller's to shut down).
func whileServing<T>(_ server: LedgerServer, logger: Logger, _ body: (String) async throws -> T) async throws -> T {
    let (ports, continuation) = AsyncStream<Int>.makeStream()
    let app = try server.application(logger: logger) { continuation.yield($0) }
    let serving = Task { try await app.run() }
    var port = 0
    for await bound in ports {
        port = bound
        break
    }
    func stop() async {
        serving.cancel()
        _ = try? await serving.value
    }
    do {
        let result = try await body("http://127.0.0.1:\(port)")
        await stop()
        return result
    } catch {
        await stop()
        throw error
    }
}

func benchSeconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}
