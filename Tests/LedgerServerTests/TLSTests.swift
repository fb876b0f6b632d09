import Foundation
import Hummingbird
import LedgerApp
import LedgerClient
import LedgerCore
import LedgerServer
import LedgerTestSupport
import Logging
import NIOCore
import ServiceLifecycle
import Testing

/// `ledger serve` over TLS with a certificate made by the openssl command line, and the client trusting it.
struct TLSTests {
    @Test func aCertificateMadeByOpensslServesHTTPSAndTheClientTrustsItsAuthority() async throws {
        let directory = TemporaryDirectory()
        let made = try CLI.shell(
            "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server.key"
                + " -out server.crt -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>&1",
            in: directory.url)
        #expect(made.status == 0, "\(made.stdout)")
        let fixture = try CustodyFixture()
        var configuration = ServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.tls = (directory.path("server.crt"), directory.path("server.key"))
        var logger = Logger(label: "tls-test")
        logger.logLevel = .critical
        let server = LedgerServer(store: fixture.ledger.store, configuration: configuration, logger: logger)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = try server.application(logger: logger) { continuation.yield($0) }
        let serving = Task { try await app.run() }
        var port = 0
        for await bound in ports {
            port = bound
            break
        }
        let url = "https://127.0.0.1:\(port)"
        // Trusting the certificate: a signed request is answered.
        let carol = try RemoteLedger(url: url, signer: try fixture.key("carol"), caFile: directory.path("server.crt"))
        let whoami = try JSONParser.parse(try await carol.send("GET", "/api/v1/whoami").body)
        #expect(whoami.member("person")?.stringValue == "carol")
        await carol.close()
        // Not trusting it (the system's authorities): the connection is refused, in one error.
        let untrusting = try RemoteLedger(url: url, signer: try fixture.key("carol"))
        do {
            _ = try await untrusting.send("GET", "/api/v1/whoami")
            Issue.record("a certificate no authority signed was trusted")
        } catch let error as LedgerError {
            #expect(error.description.contains("$LEDGER_CA_FILE"), "\(error)")
        }
        // Plain HTTP to the TLS port gets nowhere either.
        let plain = try RemoteLedger(url: "http://127.0.0.1:\(port)", signer: try fixture.key("carol"))
        await #expect(throws: LedgerError.self) { _ = try await plain.send("GET", "/healthz") }
        serving.cancel()
        _ = try? await serving.value
        server.shutdown()
    }
}
