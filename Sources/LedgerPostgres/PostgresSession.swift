import Foundation
import LedgerCore
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import Synchronization

/// One connection to the server, used by one thread at a time, through blocking calls.
///
/// The store's protocol is synchronous (the command line, and a server through its `async` wrappers that run it on
/// a thread of its own), so every query waits for its future here. The futures complete on NIO's event loops, never
/// on Swift's cooperative threads: a caller on any thread that is not an event loop may wait.
final class PostgresSession: @unchecked Sendable {
    let connection: PostgresConnection
    let location: PostgresLocation
    /// False once a query failed in a way that leaves the connection unusable, or a transaction did not end.
    private(set) var reusable = true

    private static let logger = Logger(label: "custody-ledger.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
    private static let nextID = Atomic<Int>(1)

    /// The server process serving this connection (`pg_backend_pid()`), by which a watchdog asks whether it lives.
    private(set) var backendPID: Int32 = 0

    private init(connection: PostgresConnection, location: PostgresLocation) {
        self.connection = connection
        self.location = location
    }

    /// Connects, as the location says (TLS as its `sslmode` asks, with a clear error when it cannot be had).
    static func connect(_ location: PostgresLocation) throws(StoreError) -> PostgresSession {
        switch attempt(location) {
        case .success(let session): return session
        case .failure(let failure): throw failure.error
        }
    }

    /// Why a connection could not be made, and whether a running server said so (as opposed to no server at all).
    struct ConnectFailure: Error {
        let error: StoreError
        /// The server answered (too many connections, authentication, …) and is not shutting down or starting.
        let serverIsUp: Bool
    }

    /// ``connect(_:)``, with the failure's kind kept for the watchdog.
    private static func attempt(_ location: PostgresLocation) -> Result<PostgresSession, ConnectFailure> {
        do { return .success(try open(location)) } catch let failure as ConnectFailure {
            return .failure(failure)
        } catch {
            return .failure(ConnectFailure(error: StoreError(.engine, "\(error)"), serverIsUp: false))
        }
    }

    private static func open(_ location: PostgresLocation) throws -> PostgresSession {
        var configuration: PostgresConnection.Configuration
        do {
            if let folder = location.socketDirectory {
                configuration = PostgresConnection.Configuration(
                    unixSocketPath: folder + "/.s.PGSQL.\(location.port)", username: location.user,
                    password: location.password, database: location.database)
            } else {
                configuration = PostgresConnection.Configuration(
                    host: location.host, port: location.port, username: location.user, password: location.password,
                    database: location.database, tls: try tls(location))
            }
        } catch let error as StoreError {
            throw ConnectFailure(error: error, serverIsUp: false)
        } catch {
            throw ConnectFailure(
                error: StoreError(.engine, "\(location.displayName): cannot set up TLS: \(error)"), serverIsUp: false)
        }
        configuration.options.connectTimeout = .seconds(Int64(location.connectTimeout))
        configuration.options.additionalStartupParameters = [("application_name", "custody-ledger")]
        let id = nextID.add(1, ordering: .relaxed).oldValue
        do {
            let connection = try PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration, id: id, logger: logger
            ).wait()
            let session = PostgresSession(connection: connection, location: location)
            session.backendPID = try session.run("SELECT pg_backend_pid()").first?.decode(Int32.self) ?? 0
            return session
        } catch {
            let state = sqlState(error)
            throw ConnectFailure(
                error: StoreError(
                    connectionCode(error), "cannot connect to \(location.displayName): \(describe(error, location))"),
                serverIsUp: state != nil && state?.hasPrefix("57P") == false)
        }
    }

    private static func tls(_ location: PostgresLocation) throws -> PostgresConnection.Configuration.TLS {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let file = location.sslRootCertificate {
            guard FileManager.default.isReadableFile(atPath: file) else {
                throw StoreError(.engine, "\(location.displayName): cannot read sslrootcert \(file)")
            }
            configuration.trustRoots = .file(file)
        }
        switch location.sslMode {
        case .disable: return .disable
        case .prefer:
            configuration.certificateVerification = .none
            return .prefer(try NIOSSLContext(configuration: configuration))
        case .require:
            // As libpq: a root certificate file given makes `require` check the chain, as `verify-ca` does.
            configuration.certificateVerification = location.sslRootCertificate == nil ? .none : .noHostnameVerification
            return .require(try NIOSSLContext(configuration: configuration))
        case .verifyCA:
            configuration.certificateVerification = .noHostnameVerification
            return .require(try NIOSSLContext(configuration: configuration))
        case .verifyFull:
            configuration.certificateVerification = .fullVerification
            return .require(try NIOSSLContext(configuration: configuration))
        }
    }

    /// Runs one statement and collects its rows.
    @discardableResult
    func run(_ sql: String, _ binds: PostgresBindings = PostgresBindings()) throws(StoreError) -> PostgresQueryResult {
        try wait(start(sql, binds))
    }

    /// Sends one statement, whose rows ``wait(_:)`` collects.
    ///
    /// Statements sent before it run first.
    func start(_ sql: String, _ binds: PostgresBindings = PostgresBindings()) -> EventLoopFuture<PostgresQueryResult> {
        connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: Self.logger)
    }

    /// How long a statement runs before the watchdog asks the server whether this connection's process lives.
    private static let watchdogInterval: DispatchTimeInterval = .seconds(3)

    /// Waits for a statement sent by ``start(_:_:)``.
    ///
    /// A statement may rightly take long (waiting for the writer lock, a rebuild's deletes), so there is no timeout;
    /// but a connection the server ended while it was idle may never be noticed by the client (its close not
    /// reported), and a statement sent on it would be waited for forever. So while a statement runs, every three
    /// seconds a second connection asks whether this connection's server process is still there; when it is not
    /// (or the server cannot be reached), the wait ends with an error.
    func wait(_ future: EventLoopFuture<PostgresQueryResult>) throws(StoreError) -> PostgresQueryResult {
        let done = DispatchSemaphore(value: 0)
        future.whenComplete { _ in done.signal() }
        while done.wait(timeout: .now() + Self.watchdogInterval) == .timedOut {
            guard !isAlive() else { continue }
            reusable = false
            connection.close().whenComplete { _ in }
            throw StoreError(
                .engine,
                "the connection to the server was lost (\(location.displayName)); a transaction in progress was not"
                    + " confirmed: run the command again (entries with ids are recorded once)")
        }
        do {
            return try future.wait()
        } catch {
            if Self.breaksConnection(error) { reusable = false }
            throw StoreError(Self.code(error), Self.describe(error, location))
        }
    }

    /// Ends the transaction in progress without committing.
    ///
    /// A connection that cannot (within a few seconds) is not reused. One the server closed is not asked at all:
    /// its transaction ended with it.
    func rollBack() {
        guard reusable, !connection.isClosed else {
            reusable = false
            return
        }
        if (try? wait(start("ROLLBACK"), within: .seconds(10))) == nil { reusable = false }
    }

    /// Asked on a connection of its own: is this connection's server process still running? False when the server
    /// cannot be reached at all.
    private func isAlive() -> Bool {
        guard !connection.isClosed else { return false }
        let probe: PostgresSession
        switch PostgresSession.attempt(location) {
        case .success(let session): probe = session
        // A server that answers but takes no more connections (max_connections) cannot tell: go on waiting.
        case .failure(let failure): return failure.serverIsUp
        }
        defer { probe.close() }
        var binds = PostgresBindings()
        binds.append(backendPID)
        guard let result = try? probe.run("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", binds),
            let count = try? result.first?.decode(Int64.self)
        else { return false }
        return count > 0
    }

    /// True when the connection answers a trivial statement within a few seconds: a connection kept idle may have
    /// been ended by the server (a restart, `pg_terminate_backend`) without this process noticing.
    func answers() -> Bool {
        guard reusable, !connection.isClosed else { return false }
        return (try? wait(start("SELECT 1"), within: .seconds(5))) != nil
    }

    /// ``wait(_:)`` that gives up after `limit`, for statements that must not wait for anything.
    private func wait(_ future: EventLoopFuture<PostgresQueryResult>, within limit: TimeAmount) throws(StoreError)
        -> PostgresQueryResult
    {
        let answer = connection.eventLoop.makePromise(of: PostgresQueryResult.self)
        future.cascade(to: answer)
        let timeout = connection.eventLoop.scheduleTask(in: limit) {
            answer.fail(StoreError(.engine, "the server did not answer"))
        }
        defer { timeout.cancel() }
        do { return try wait(answer.futureResult) } catch {
            reusable = false
            throw error
        }
    }

    /// Marks the connection as not to be handed out again (a transaction that did not end cleanly).
    func discard() { reusable = false }

    /// Closes the connection, waiting for the server to be told.
    func close() {
        reusable = false
        try? connection.close().wait()
    }

    // MARK: Errors

    /// The SQLSTATE of a server error, if the error is one.
    static func sqlState(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    /// True unless the server refused one statement and goes on serving the connection: a FATAL error (the
    /// backend terminated, the server shutting down) or any failure of the connection itself ends it.
    private static func breaksConnection(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError, error.code == .server, let info = error.serverInfo else { return true }
        let severity = info[.localizedSeverity] ?? info[.severity] ?? ""
        let state = info[.sqlState] ?? ""
        return severity == "FATAL" || severity == "PANIC" || state.hasPrefix("08") || state.hasPrefix("57P")
    }

    private static func code(_ error: any Error) -> StoreError.Code {
        switch sqlState(error) {
        case "42501": .notPermitted
        case "3D000": .noLedger
        default: .engine
        }
    }

    private static func connectionCode(_ error: any Error) -> StoreError.Code {
        switch sqlState(error) {
        case "3D000": .noLedger
        case "28000", "28P01": .notPermitted
        default: .engine
        }
    }

    /// One line a user can act on; postgres-nio's own description hides the server's message on purpose.
    static func describe(_ error: any Error, _ location: PostgresLocation) -> String {
        guard let error = error as? PSQLError else {
            if let error = error as? NIOSSLError { return "TLS failed: \(error)" }
            return "\(error)"
        }
        if let info = error.serverInfo {
            let message = info[.message] ?? "server error"
            switch info[.sqlState] {
            case "53100":
                return "the database server's disk is full (\(message)); nothing was written"
            case "3D000":
                return "no database \(location.database) on the server (create it first: createdb \(location.database))"
            case "28P01", "28000":
                return "the server refused \(location.user): \(message)"
            case "57P01", "57P02", "57P03":
                return "the server is shutting down or restarting (\(message)); nothing was written"
            case let state?:
                let detail = info[.detail].map { " (\($0))" } ?? ""
                return "\(message)\(detail) [SQLSTATE \(state)]"
            case nil:
                return message
            }
        }
        switch error.code {
        case .sslUnsupported:
            return "the server does not offer TLS, which sslmode=\(location.sslMode.rawValue) requires"
        case .failedToAddSSLHandler:
            return "TLS could not be set up (\(error.underlying.map { "\($0)" } ?? "no detail"))"
        case .authMechanismRequiresPassword:
            return "the server asks a password for \(location.user): put it in the URL or in $PGPASSWORD"
        case .serverClosedConnection, .uncleanShutdown, .clientClosedConnection:
            return "the connection to the server was lost; nothing of the transaction in progress was committed"
        case .connectionError:
            let underlying = error.underlying.map { describeUnderlying($0) } ?? "no detail"
            return "cannot reach the server (\(underlying))"
        case .queryCancelled:
            return "the statement was cancelled"
        default:
            return "\(error.code)\(error.underlying.map { ": \(describeUnderlying($0))" } ?? "")"
        }
    }

    private static func describeUnderlying(_ error: any Error) -> String {
        if let error = error as? NIOSSLError { return "TLS: \(error)" }
        if let error = error as? BoringSSLError { return "TLS: \(error)" }
        return "\(error)"
    }
}
