import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import LedgerApp
import LedgerClient
import LedgerCore
import LedgerWeb
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import Synchronization

/// How `ledger serve` runs: where it listens, what clients sign, what is public, and its limits.
public struct ServerConfiguration: Sendable {
    /// The address to listen on.
    public var host: String
    /// The port (0: any free port, reported by `onRunning`).
    public var port: Int
    /// The scheme and authority clients reach the server at (`https://ledger.example.org`), what they sign as
    /// `@target-uri`; nil: this server's own address.
    public var publicURL: String?
    /// Serve `/checkpoint` and hash tiles without a signed request (`--public-checkpoints`).
    public var publicCheckpoints = false
    /// A PEM certificate (chain) and private key file for TLS; nil: plain HTTP (loopback only).
    public var tls: (certificate: String, key: String)?
    /// The largest request body accepted, in bytes.
    public var maxBodyBytes = 8 << 20
    /// The most statements in one request.
    public var maxStatementsPerRequest = 1000
    /// How far a signature's `created` may be from the server's clock, in seconds.
    public var clockSkewSeconds: Int64 = 60
    /// Seconds a connection may stay idle (a slow client is cut off after it).
    public var idleTimeoutSeconds: Int64 = 30
    /// Connections served at once; more wait in the listen backlog, so slow clients cannot take every file
    /// descriptor.
    public var maxConnections = 1024
    /// Requests a second one key (or one address, unsigned) may make on average; 0: no limit.
    public var requestsPerSecond = 500.0
    /// Requests one key or address may make at once (a bucket that refills at `requestsPerSecond`).
    public var requestBurst = 1000.0
    /// Seconds a client may take to send one whole request (headers and body), however it trickles them.
    public var requestSeconds: Int64 = 60
    /// The certificate authority of the time-stamp authority, to check stored RFC 3161 time stamps with; nil: they
    /// are served unchecked (`--tsa-ca`).
    public var tsaCAFile: String?
    /// The web interface's files; nil: none served (`/` says how to install them).
    public var web: WebAssets?
    /// Witnesses each new checkpoint is submitted to (C2SP tlog-witness); their cosignatures are stored with it.
    public var witnesses: [WitnessEndpoint] = []
    /// How often witnesses that are behind are tried again, in seconds.
    public var witnessRetrySeconds: Int64 = 5
    /// Where `/metrics` (Prometheus) is served, unauthenticated: a loopback address; nil: not served.
    public var metricsListen: (host: String, port: Int)?

    /// A configuration listening on `host:port`.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// The URL clients sign requests for: `publicURL`, or this server's own address, without a trailing slash.
    public var signedURL: String {
        if let publicURL { return publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL }
        let scheme = tls == nil ? "http" : "https"
        let authority = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        return "\(scheme)://\(authority)"
    }
}

/// `ledger serve`: the ledger over HTTP (docs/API.md), on any store behind the seam.
///
/// Writes are signed statements sequenced with group commit across requests; reads are filtered by what each
/// caller may see; the tlog-tiles API lets witnesses and monitors follow the log. Every request is authenticated by
/// its HTTP message signature with a key the ledger registered: the server holds no one's private key.
public struct LedgerServer: Sendable {
    let store: any LedgerStore
    let configuration: ServerConfiguration
    let committer: GroupCommitter
    /// What clients sign as the scheme and authority of `@target-uri`: `signedURL`, with the port the server bound
    /// once it runs (for `--listen HOST:0`).
    let signedURL: SignedURL
    /// Submits new checkpoints to the configured witnesses.
    let feeder: WitnessFeeder
    /// Registration requests waiting for an administrator.
    let keyRequests = KeyRequestQueue()
    /// Prometheus metrics.
    let metrics = ServerMetrics()
    /// Statements waiting for a co-signer.
    let pending = PendingStatements()

    /// A server over `store`; `logger` reports what happens outside requests (witnessing).
    public init(store: any LedgerStore, configuration: ServerConfiguration, logger: Logger) {
        self.store = store
        self.configuration = configuration
        let feeder = WitnessFeeder(store: store, witnesses: configuration.witnesses, logger: logger)
        self.feeder = feeder
        self.committer = GroupCommitter(store: store, metrics: metrics) {
            Task { await feeder.checkpointsChanged() }
        }
        self.signedURL = SignedURL(configuration.signedURL)
    }

    /// The router with every route and middleware: what the tests drive in-process and `run` serves.
    public func router() -> Router<LedgerRequestContext> {
        let router = Router(context: LedgerRequestContext.self)
        router.add(middleware: RequestLog(metrics: metrics))
        router.add(middleware: ProblemMiddleware())
        router.add(
            middleware: SignatureAuthenticator(
                store: store, publicURL: { [signedURL] in signedURL.value.withLock { $0 } },
                maxBodyBytes: configuration.maxBodyBytes,
                skewSeconds: configuration.clockSkewSeconds, nonces: NonceCache(),
                limiter: configuration.requestsPerSecond > 0
                    ? RateLimiter(perSecond: configuration.requestsPerSecond, burst: configuration.requestBurst) : nil))
        router.get("/healthz") { _, _ in Reply.json(.object([JSONMember("status", "ok")])) }
        let statementRoutes = StatementRoutes(
            store: store, committer: committer, maxStatements: configuration.maxStatementsPerRequest,
            keyRequests: keyRequests)
        statementRoutes.add(to: router)
        CoSignRoutes(store: store, queue: pending, statements: statementRoutes).add(to: router)
        ReadRoutes(store: store).add(to: router)
        CaseRoutes(store: store).add(to: router)
        KeyRequestRoutes(store: store, queue: keyRequests).add(to: router)
        ProofRoutes(store: store).add(to: router)
        ExportRoutes(store: store).add(to: router)
        TargetImportRoutes(store: store).add(to: router)
        TimestampRoutes(store: store, caFile: configuration.tsaCAFile).add(to: router)
        LabelRoutes(store: store, signedURL: { [signedURL] in signedURL.value.withLock { $0 } }).add(to: router)
        WebRoutes(
            store: store, assets: configuration.web, signedURL: { [signedURL] in signedURL.value.withLock { $0 } }
        )
        .add(to: router)
        TileRoutes(store: store, publicCheckpoints: configuration.publicCheckpoints).add(to: router)
        return router
    }

    /// The application: the router on an HTTP/1.1 server, with TLS when configured.
    public func application(
        logger: Logger, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let http = HTTP1Channel.Configuration(
            additionalChannelHandlers: [RequestDeadline(seconds: configuration.requestSeconds)],
            idleTimeout: .seconds(configuration.idleTimeoutSeconds))
        let server: HTTPServerBuilder
        if let tls = configuration.tls {
            let certificates: [NIOSSLCertificate]
            let key: NIOSSLPrivateKey
            do {
                certificates = try NIOSSLCertificate.fromPEMFile(tls.certificate)
                key = try NIOSSLPrivateKey(file: tls.key, format: .pem)
            } catch {
                throw LedgerError.usage(
                    "cannot read the TLS certificate or key (\(tls.certificate), \(tls.key)): \(error)")
            }
            let tlsConfiguration = TLSConfiguration.makeServerConfiguration(
                certificateChain: certificates.map { .certificate($0) }, privateKey: .privateKey(key))
            server = try .tls(.http1(configuration: http), tlsConfiguration: tlsConfiguration)
        } else {
            server = .http1(configuration: http)
        }
        var services: [any Service] = []
        if !configuration.witnesses.isEmpty {
            services.append(WitnessRetries(feeder: feeder, seconds: configuration.witnessRetrySeconds))
        }
        if let listen = configuration.metricsListen {
            services.append(
                Application(
                    router: metrics.router(),
                    configuration: ApplicationConfiguration(
                        address: .hostname(listen.host, port: listen.port), serverName: "custody-ledger-metrics"),
                    logger: logger))
        }
        return Application(
            router: router(), server: server,
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port), serverName: "custody-ledger",
                availableConnectionsDelegate: MaximumAvailableConnections(configuration.maxConnections)),
            services: services,
            onServerRunning: { [signedURL, configuration] channel in
                let port = channel.localAddress?.port ?? configuration.port
                if configuration.publicURL == nil {
                    var bound = configuration
                    bound.port = port
                    signedURL.value.withLock { $0 = bound.signedURL }
                }
                await onRunning(port)
            },
            logger: logger)
    }

    /// Stops the group-commit thread after the groups already queued (`run` does this itself).
    public func shutdown() { committer.shutdown() }

    /// Serves until SIGINT or SIGTERM, then finishes the requests (and the commit group) in flight.
    public func run(logger: Logger, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let app = try application(logger: logger, onRunning: onRunning)
        try await app.runService()
        shutdown()
    }
}

/// Asks the witness feeder for a round at start and then every few seconds, so that a witness that was down, or
/// checkpoints another process committed, are caught up; ends with the server.
struct WitnessRetries: Service {
    let feeder: WitnessFeeder
    let seconds: Int64

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            await feeder.checkpointsChanged()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(seconds)) }
        }
    }
}

/// The URL clients sign for, set once the server knows its port.
final class SignedURL: Sendable {
    let value: Mutex<String>

    init(_ url: String) { value = Mutex(url) }
}

/// Turns every error a route throws into problem details: a ``Problem`` as it is, a ledger error by its code, and
/// anything else as a 500 that names no internals.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = LedgerRequestContext

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as Problem {
            throw problem
        } catch let error as LedgerError {
            throw Problem(error)
        } catch let error as HTTPError {
            throw Problem(
                error.status, code: error.status.code == 404 ? "not-found" : "usage", error.body ?? "\(error.status)")
        } catch {
            context.logger.error("request failed: \(error)")
            throw Problem(.internalServerError, code: "store", "the server could not answer this request")
        }
    }
}
