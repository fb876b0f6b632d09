import CustodyDomain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgerApp
import LedgerClient
import LedgerCore
import LedgerCrypto
import LedgerHTTP
import LedgerServer
import LedgerTestSupport
import Logging
import NIOCore
import Testing

/// A `ledger serve` on a loopback port over a fresh custody ledger (the fixture's cast, case CASE-1 joined by "Test
/// Agency", item EV-1 seized by carol, and "olga" of another agency), with a signing client per person.
// @unchecked: the fixture (a ledger, its folder and keys) is set up before the server starts and only read after.
struct ServerHarness: @unchecked Sendable {
    let fixture: CustodyFixture
    let port: Int
    let client: any TestClientProtocol

    var url: String { "http://127.0.0.1:\(port)" }
    var store: any LedgerStore { fixture.ledger.store }

    /// A client signing as `person`.
    func remote(_ person: String) throws -> RemoteLedger {
        try RemoteLedger(url: url, signer: try fixture.key(person))
    }

    /// Runs `body` against a running server; `configure` adjusts its configuration.
    static func run(
        configure: @Sendable (inout ServerConfiguration) -> Void = { _ in },
        _ body: @Sendable (ServerHarness) async throws -> Void
    ) async throws {
        try await run(configure: configure, prepare: { _, _ in nil }) { harness, _ in try await body(harness) }
    }

    /// Runs `body` against a running server; `prepare` sees the fixture and adjusts the configuration before the
    /// server starts (starting a witness, say), and what it returns is handed to `body`.
    static func run(
        configure: @Sendable (inout ServerConfiguration) -> Void = { _ in },
        prepare: (CustodyFixture, inout ServerConfiguration) async throws -> String?,
        _ body: @Sendable (ServerHarness, String?) async throws -> Void
    ) async throws {
        var fixture = try CustodyFixture()
        try fixture.add("olga", roles: [Roles.custodian], agency: "Other Agency")
        try fixture.seize("EV-1")
        var configuration = ServerConfiguration(host: "127.0.0.1", port: 0)
        configure(&configuration)
        let prepared = try await prepare(fixture, &configuration)
        var logger = Logger(label: "ledger-serve-test")
        logger.logLevel = .warning
        let server = LedgerServer(store: fixture.ledger.store, configuration: configuration, logger: logger)
        let app = try server.application(logger: logger)
        let settled = Settled(fixture: fixture)
        try await app.test(.live) { client in
            let harness = ServerHarness(fixture: settled.fixture, port: try #require(client.port), client: client)
            try await body(harness, prepared)
        }
        server.shutdown()
    }

    /// Sends a request signed by `person` with exactly these parts, through the test client (for replays and
    /// tampering that the real client would never send).
    func signedRequest(
        _ method: HTTPRequest.Method, _ path: String, by person: String, body: [UInt8] = [],
        contentType: String = "application/json", nonce: String = SecureRandom.uuidV4(), created: Int64? = nil,
        digestOf digestBody: [UInt8]? = nil
    ) async throws -> TestResponse {
        let key = try fixture.key(person)
        var fields: [(name: String, value: String)] = []
        if !body.isEmpty {
            fields.append(("Content-Digest", ContentDigest.value(for: digestBody ?? body)))
            fields.append(("Content-Type", contentType))
        }
        let now = created ?? Int64(Date().timeIntervalSince1970)
        let signed = MessageSignature.sign(
            SignedRequestParts(method: method.rawValue, targetURI: url + path, fields: fields), key: key,
            parameters: MessageSignatureParameters(
                created: now, expires: now + 60, nonce: nonce, keyID: KeyID.of(key.publicKey)))
        var headers = HTTPFields()
        for field in fields { headers[HTTPField.Name(field.name)!] = field.value }
        headers[HTTPField.Name("Signature-Input")!] = signed.signatureInput
        headers[HTTPField.Name("Signature")!] = signed.signature
        return try await client.execute(
            uri: path, method: method, headers: headers, body: body.isEmpty ? nil : ByteBuffer(bytes: body))
    }
}

/// The fixture handed to the server's task once set up.
// @unchecked: set up before the server starts and only read after.
private struct Settled: @unchecked Sendable {
    let fixture: CustodyFixture
}

extension TestResponse {
    /// The body as JSON.
    var json: JSONValue {
        get throws { try JSONParser.parse(Array(body.readableBytesView)) }
    }

    /// The problem's code, if the body is problem details.
    var problemCode: String? { try? json.member("code")?.stringValue }
}
