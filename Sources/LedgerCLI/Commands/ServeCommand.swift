import ArgumentParser
import Dispatch
import Foundation
import LedgerApp
import LedgerClient
import LedgerCore
import LedgerServer
import LedgerWeb
import Logging
import Synchronization

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the ledger over HTTP to every officer, each signing with their own key (docs/API.md).",
        discussion: """
            Officers submit statements they signed with their own key files; the server checks them, runs the \
            custody rules and sequences them (group commit across requests), and answers with a receipt. Every \
            request is signed with the caller's registered key (RFC 9421 HTTP message signatures): the server \
            holds nobody's private key, only the log key that signs checkpoints (the ledger's own). What each \
            caller may read follows from the ledger: the cases their agency joined, the items they held or are \
            named in; the whole log only for auditors and administrators.

            Witnesses and monitors follow the log through the C2SP tlog-tiles API (/checkpoint, /tile/…). \
            Checkpoints and hash tiles need a signed request unless --public-checkpoints is given. Each new \
            checkpoint is submitted to the witnesses given (C2SP tlog-witness, with a consistency proof from the \
            size each last cosigned); their cosignatures are stored with it and served on /checkpoint.

            Plain HTTP is served on a loopback address only, for a reverse proxy in front (docs/API.md shows \
            nginx); any other address needs --tls-cert and --tls-key. Behind a proxy, --public-url names the URL \
            clients use, which is what they sign. SIGINT or SIGTERM stops the server after the requests in \
            flight (and their commit group) are answered.

            Examples:
              ledger serve --ledger synergia-demo/custody.ledger
              ledger serve --ledger postgresql://ledger_writer@db/custody \\
                  --listen 127.0.0.1:8443 --public-url https://ledger.example.org
              ledger serve --listen 0.0.0.0:8443 --tls-cert server.crt --tls-key server.key
              ledger serve --metrics-listen 127.0.0.1:9464
              ledger serve --witness-url http://127.0.0.1:9090 \\
                  --witness-vkey 'witness.bka.example+1a2b3c4d+BA…'
            """)

    @OptionGroup var ledgerOptions: LedgerOptions
    @Option(help: ArgumentHelp("The address and port to listen on.", valueName: "host:port"))
    var listen = "127.0.0.1:8080"
    @Option(help: ArgumentHelp("The URL clients reach this server at, which they sign.", valueName: "url"))
    var publicURL: String?
    @Flag(help: "Serve /checkpoint and hash tiles without a signed request.") var publicCheckpoints = false
    @Option(help: ArgumentHelp("The TLS certificate (chain), PEM.", valueName: "file")) var tlsCert: String?
    @Option(help: ArgumentHelp("The TLS private key, PEM.", valueName: "file")) var tlsKey: String?
    @Option(
        help: ArgumentHelp("A witness's tlog-witness URL (repeat; pair each with --witness-vkey).", valueName: "url"))
    var witnessURL: [String] = []
    @Option(help: ArgumentHelp("The vkey of the witness at the --witness-url in the same place.", valueName: "vkey"))
    var witnessVkey: [String] = []
    @Option(
        help: ArgumentHelp(
            "Serve Prometheus metrics at http://HOST:PORT/metrics, unauthenticated (a loopback address).",
            valueName: "host:port"))
    var metricsListen: String?
    @Option(
        help: ArgumentHelp(
            "Requests a second one key (or one address without a signature) may make; twice as many at once; 0: no limit.",
            valueName: "n"))
    var requestsPerSecond = 500.0
    @Option(
        help: ArgumentHelp(
            "The web interface's folder (default: the one installed beside this binary; docs/WEB.md).",
            valueName: "dir"))
    var webRoot: String?
    @Option(
        help: ArgumentHelp(
            "The time-stamp authority's CA (PEM): stored RFC 3161 time stamps are served checked against it.",
            valueName: "file"))
    var tsaCA: String?
    @Flag(help: "Print the line saying where it serves as a JSON object (ledger, url).") var json = false

    func validate() throws {
        guard (tlsCert == nil) == (tlsKey == nil) else {
            throw CommandError(.usage("give both --tls-cert and --tls-key, or neither"), option: "--tls-cert")
        }
        guard requestsPerSecond >= 0, requestsPerSecond.isFinite else {
            throw CommandError(.usage("--requests-per-second is 0 (no limit) or more"), option: "--requests-per-second")
        }
        if let publicURL, !(publicURL.hasPrefix("https://") || publicURL.hasPrefix("http://")) {
            throw CommandError(.usage("--public-url is an http:// or https:// URL"), option: "--public-url")
        }
    }

    func run() throws {
        let (host, port) = try Self.hostAndPort(listen)
        if tlsCert == nil, !["127.0.0.1", "::1", "localhost"].contains(host) {
            throw CommandError(
                .usage(
                    "plain HTTP is served on loopback only (127.0.0.1, ::1); give --tls-cert and --tls-key to listen"
                        + " on \(host), or put a reverse proxy in front (docs/API.md)"),
                option: "--listen")
        }
        let store = try ledgerOptions.open()
        var configuration = ServerConfiguration(host: host, port: port)
        configuration.publicURL = publicURL
        configuration.publicCheckpoints = publicCheckpoints
        do { configuration.web = try WebAssets.locate(given: webRoot) } catch {
            throw CommandError(.usage("cannot read the web interface's files: \(error)"), option: "--web-root")
        }
        if let webRoot, configuration.web == nil {
            throw CommandError(
                .usage("\(webRoot) holds no index.html (give the folder Sources/LedgerWeb/app)"), option: "--web-root")
        }
        if let tsaCA {
            guard FileManager.default.isReadableFile(atPath: tsaCA) else {
                throw CommandError(.usage("cannot read the TSA CA file \(tsaCA)"), option: "--tsa-ca")
            }
            configuration.tsaCAFile = tsaCA
        }
        configuration.requestsPerSecond = requestsPerSecond
        configuration.requestBurst = max(1, 2 * requestsPerSecond)
        if let tlsCert, let tlsKey { configuration.tls = (tlsCert, tlsKey) }
        configuration.witnesses = try witnesses()
        if let metricsListen {
            let (metricsHost, metricsPort) = try Self.hostAndPort(metricsListen)
            guard ["127.0.0.1", "::1", "localhost"].contains(metricsHost) else {
                throw CommandError(
                    .usage("metrics are served on a loopback address only (they reveal the operation's tempo)"),
                    option: "--metrics-listen")
            }
            configuration.metricsListen = (metricsHost, metricsPort)
        }
        var logger = Logger(label: "ledger-serve")
        logger.logLevel = .info
        let server = LedgerServer(store: store, configuration: configuration, logger: logger)
        let settings = configuration
        let asJSON = json
        let described = ledgerOptions.location.description
        let failure = Mutex<(any Error)?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            do {
                try await server.run(logger: logger) { boundPort in
                    var shown = settings
                    shown.port = boundPort
                    let line =
                        asJSON
                        ? JCS.serialize(
                            .object([
                                JSONMember("ledger", .string(described)), JSONMember("url", .string(shown.signedURL)),
                            ])) + [0x0a]
                        : Array("serving \(described) at \(shown.signedURL) (stop with Ctrl-C)\n".utf8)
                    FileHandle.standardOutput.write(Data(line))
                }
            } catch {
                failure.withLock { $0 = error }
            }
            done.signal()
        }
        done.wait()
        // The server's tasks may still hold the store as the process exits: its connections are closed here, so a
        // SQLite ledger is one file again once the server has stopped.
        store.close()
        if let error = failure.withLock({ $0 }) { throw LedgerError.from(error) }
    }

    /// The witnesses: each --witness-url with the --witness-vkey in the same place.
    func witnesses() throws -> [WitnessEndpoint] {
        guard witnessURL.count == witnessVkey.count else {
            throw CommandError(
                .usage(
                    "give one --witness-vkey for each --witness-url (\(witnessURL.count) URLs, \(witnessVkey.count) vkeys)"
                ),
                option: "--witness-url")
        }
        return try zip(witnessURL, witnessVkey).map { try WitnessEndpoint(url: $0, vkey: $1) }
    }

    static func hostAndPort(_ text: String) throws -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), port >= 0,
            port <= 65535
        else {
            throw CommandError(.usage("--listen is host:port, e.g. 127.0.0.1:8080"), option: "--listen")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, port)
    }
}
