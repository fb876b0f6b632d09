import Foundation
import Hummingbird
import LedgerApp
import Prometheus

/// The server's Prometheus metrics (swift-prometheus), served at `/metrics` on the `--metrics-listen` address only
/// (loopback: they reveal an operation's tempo, and a scraper cannot sign requests).
///
/// - `ledger_statements_total{outcome}`: statements recorded, already recorded, refused as a conflict, refused
///   otherwise.
/// - `ledger_commit_groups_total`, `ledger_commit_group_statements` (histogram), `ledger_commit_group_seconds`
///   (histogram): group commit.
/// - `ledger_tree_size`: the size of the newest checkpoint this server signed.
/// - `ledger_http_requests_total{status}` (status class 2xx…5xx) and `ledger_http_request_seconds` (histogram).
final class ServerMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    let recorded: Counter
    let alreadyRecorded: Counter
    let conflicts: Counter
    let refused: Counter
    let groups: Counter
    let groupStatements: ValueHistogram
    let groupSeconds: DurationHistogram
    let treeSize: Gauge
    let requests: [Counter]
    let requestSeconds: DurationHistogram

    init() {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "ledger", metricName: metric, unitName: unit, helpText: help)
        }
        func outcome(_ label: String) -> Counter {
            registry.makeCounter(
                descriptor: name("statements", "total", "Statements sequenced by this server, by outcome."),
                labels: [("outcome", label)])
        }
        recorded = outcome("recorded")
        alreadyRecorded = outcome("already_recorded")
        conflicts = outcome("conflict")
        refused = outcome("refused")
        groups = registry.makeCounter(descriptor: name("commit_groups", "total", "Commit groups committed."))
        groupStatements = registry.makeValueHistogram(
            descriptor: name("commit_group", "statements", "Statements per commit group."),
            buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 4096])
        let times: [Duration] = [
            .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
            .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
        ]
        groupSeconds = registry.makeDurationHistogram(
            descriptor: name("commit_group", "seconds", "Time to sequence and commit one group."), buckets: times)
        treeSize = registry.makeGauge(descriptor: name("tree", "size", "Entries in the ledger after the last commit."))
        requests = (1...5).map { status in
            registry.makeCounter(
                descriptor: name("http_requests", "total", "HTTP requests answered."),
                labels: [("status", "\(status)xx")])
        }
        requestSeconds = registry.makeDurationHistogram(
            descriptor: name("http_request", "seconds", "Time from a request to its answer."), buckets: times)
    }

    /// Counts one group's outcomes.
    func record(group outcomes: [SubmitOutcome], took duration: Duration) {
        groups.increment()
        groupStatements.record(Double(outcomes.count))
        groupSeconds.record(duration)
        var size: Int64?
        for outcome in outcomes {
            switch outcome.status {
            case .recorded(let seq):
                recorded.increment()
                size = max(size ?? 0, seq)
            case .alreadyRecorded: alreadyRecorded.increment()
            case .refused(let error):
                if error.code.kind == .conflict { conflicts.increment() } else { refused.increment() }
            }
        }
        if let size { treeSize.set(size) }
    }

    /// Counts one answered request.
    func record(status: Int, took duration: Duration) {
        requests[min(max(status / 100, 1), 5) - 1].increment()
        requestSeconds.record(duration)
    }

    /// The router of the metrics listener: `GET /metrics` in Prometheus's text format.
    func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.get("/metrics") { [registry] _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        return router
    }
}
