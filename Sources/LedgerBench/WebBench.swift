import CustodyDomain
import Foundation
import LedgerApp
import LedgerClient
import LedgerCore
import LedgerCrypto
import LedgerServer
import LedgerStores
import Logging
import Synchronization

// `ledger-bench --web` (issue 22's benchmark): the requests the web interface's item page and dashboard make, timed
// on loopback against `ledger serve` on the demo ledger and on the same ledger grown to `--large` entries: each
// request from send to the last byte of its answer (an upper bound of server time), p50 and p95 per page.

/// The requests of one page view, timed one by one.
private struct PageTimings {
    var item: [Double] = []
    var dashboard: [Double] = []
}

func runWeb(_ options: Options) throws {
    let directory =
        options.directory
        ?? FileManager.default.temporaryDirectory.appendingPathComponent("ledger-bench-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { if options.directory == nil { try? FileManager.default.removeItem(atPath: directory) } }
    let report = try Demo(
        directory: directory + "/demo", stores: StandardStores(), targets: options.targets, log: { _ in }
    )
    .run()
    let keys = URL(fileURLWithPath: report.ledgerPath).deletingLastPathComponent().appendingPathComponent("keys").path
    let carol = try KeyFiles.load(keys + "/carol.nl.pem", passphrase: nil)
    let store = try LedgerLocation(report.ledgerPath, stores: StandardStores()).open()
    try measure(store: store, signer: carol, label: "demo ledger")
    let admin = try KeyFiles.load(keys + "/ada.int.pem", passphrase: nil)
    let logKey = try KeyFiles.load(keys + "/log.pem", passphrase: nil)
    try growLedger(store, to: options.largeEntries, signer: admin, logKey: logKey)
    try measure(store: store, signer: carol, label: "the same ledger grown")
}

private func measure(store: any LedgerStore, signer: Ed25519PrivateKey, label: String) throws {
    let entries = try store.read { try $0.entryCount() }
    var logging = Logger(label: "ledger-bench-web")
    logging.logLevel = .critical
    let logger = logging
    var configuration = ServerConfiguration(host: "127.0.0.1", port: 0)
    configuration.requestsPerSecond = 0
    let server = LedgerServer(store: store, configuration: configuration, logger: logger)
    let timings = try Blocking.wait { () -> PageTimings in
        try await whileServing(server, logger: logger) { url in
            let client = try RemoteLedger(url: url, signer: signer)
            func timed(_ path: String, into list: inout [Double]) async throws -> [UInt8] {
                let start = ContinuousClock.now
                let body = try await client.send("GET", path).body
                list.append(seconds(ContinuousClock.now - start) * 1000)
                return body
            }
            var timings = PageTimings()
            var scratch: [Double] = []
            for round in 0..<40 {
                let warm = round < 5
                // The dashboard: whoami, the person's items, in transit, overdue, co-signatures, cases, people.
                var dashboard: [Double] = []
                for path in [
                    "/api/v1/whoami", "/api/v1/items?holder=carol.nl&limit=1000",
                    "/api/v1/items?view=in-transit&limit=1000",
                    "/api/v1/items?view=overdue&limit=1000", "/api/v1/pending", "/api/v1/cases?limit=1000",
                    "/api/v1/people?limit=1000", "/api/v1/activity?limit=10",
                ] {
                    _ = try await timed(path, into: &dashboard)
                }
                // The item page: the item, its stream's records, an inclusion proof per record.
                var item: [Double] = []
                let id = String(format: "EV-%04d", 1 + (round * 7) % 102)
                _ = try await timed("/api/v1/items/\(id)", into: &item)
                let records = try await timed("/api/v1/log?stream=item/\(id)&limit=1000", into: &item)
                let count = records.split(separator: 0x0a).count
                for line in records.split(separator: 0x0a).prefix(count) {
                    guard let body = try? EntryBody.parse(record: Array(line)) else { continue }
                    _ = try await timed("/api/v1/proofs/inclusion?seq=\(body.seq)", into: &item)
                }
                if warm {
                    scratch += dashboard + item
                } else {
                    timings.dashboard += dashboard
                    timings.item += item
                }
            }
            return timings
        }
    }
    server.shutdown()
    func percentile(_ values: [Double], _ p: Double) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
    }
    print("web requests on \(label) (\(entries) entries), 35 rounds after 5 to warm up, loopback, send to last byte:")
    print(
        String(
            format: "web_dashboard_request_ms p50 %.1f p95 %.1f max %.1f (%d requests; goal p95 < 200)",
            percentile(timings.dashboard, 0.5), percentile(timings.dashboard, 0.95), timings.dashboard.max() ?? 0,
            timings.dashboard.count))
    print(
        String(
            format: "web_item_page_request_ms p50 %.1f p95 %.1f max %.1f (%d requests; goal p95 < 200)",
            percentile(timings.item, 0.5), percentile(timings.item, 0.95), timings.item.max() ?? 0,
            timings.item.count))
}
