import Foundation
import HTTPTypes
import HummingbirdTesting
import LedgerApp
import LedgerClient
import LedgerCore
import LedgerCrypto
import LedgerTestSupport
import NIOCore
import Testing

/// Registration through the server: a person without a registered key queues their signed request; an
/// administrator lists it and registers it with a signed `key.registered` statement; the person then signs in.
struct KeyRequestTests {
    @Test func aQueuedRequestIsRegisteredByAnAdministratorsStatement() async throws {
        try await ServerHarness.run { server in
            let key = Ed25519PrivateKey.generate()
            let request = KeyRequest(
                agency: "Test Agency", ledger: server.fixture.ledger.origin, name: "Nina New", person: "nina",
                publicKey: key.publicKey)
            let text = Array(request.signedDocument(with: key).utf8)
            func submit(_ body: [UInt8]) async throws -> TestResponse {
                try await server.client.execute(
                    uri: "/api/v1/key-requests", method: .post, headers: [.contentType: "application/json"],
                    body: ByteBuffer(bytes: body))
            }
            let queued = try await submit(text)
            #expect(queued.status == .accepted)
            #expect(try queued.json.member("status")?.stringValue == "queued")
            #expect(try await submit(text).json.member("status")?.stringValue == "already-queued")
            #expect(try await submit(Array("{}".utf8)).status == .badRequest)
            let elsewhere = KeyRequest(
                agency: "Test Agency", ledger: "ledger.test.example/other", name: "Nina New", person: "nina",
                publicKey: key.publicKey)
            #expect(try await submit(Array(elsewhere.signedDocument(with: key).utf8)).status == .badRequest)

            // Only administrators see the queue.
            #expect(try await server.signedRequest(.get, "/api/v1/key-requests", by: "bob").status == .forbidden)
            let listed = try await server.signedRequest(.get, "/api/v1/key-requests", by: "ada")
            #expect(listed.status == .ok)
            let waiting = try #require(try listed.json.member("requests")?.arrayValue)
            #expect(waiting.count == 1 && waiting[0].member("person")?.stringValue == "nina")

            // Nina cannot sign in yet; the admin registers her; then she can.
            let nina = try RemoteLedger(url: server.url, signer: key)
            await #expect(throws: LedgerError.self) { _ = try await nina.send("GET", "/api/v1/whoami") }
            let ada = try server.remote("ada")
            let keyID = KeyID.of(key.publicKey)
            let statement = try KeyManagement.registrationStatement(
                requestText: text, roles: ["custodian"], admin: try server.fixture.key("ada"),
                position: try await ada.head("key/\(keyID)"))
            #expect(try await ada.submit([statement]).first?.status == "recorded")
            let empty = try await server.signedRequest(.get, "/api/v1/key-requests", by: "ada")
            #expect(try empty.json.member("requests")?.arrayValue?.isEmpty == true)
            let whoami = try JSONParser.parse(try await nina.send("GET", "/api/v1/whoami").body)
            #expect(whoami.member("person")?.stringValue == "nina")
            #expect(try await submit(text).status == .conflict)
            // One address may submit 20 a minute (one more every 3 s, 20 at once): 25 at once are more than a full
            // allowance (however long the steps above took on a busy machine), so at least 5 are refused, less one
            // for each 3 s the burst itself takes on a busy machine (the last one may come just after a refill).
            let perMinute = 20  // the server's KeyRequestQueue.perMinute
            var statuses: [HTTPResponse.Status] = []
            let burstStart = ContinuousClock.now
            for _ in 0..<25 { statuses.append(try await submit(Array("{}".utf8)).status) }
            let refills = Int((ContinuousClock.now - burstStart) / .seconds(60 / perMinute)) + 1
            let refused = statuses.filter { $0 == .tooManyRequests }.count
            // (A burst slower than 15 s proves nothing here; the rate limiter's own tests cover it.)
            #expect(refused >= max(0, 25 - perMinute - refills), "\(statuses)")
            #expect(statuses.allSatisfy { $0 == .tooManyRequests || $0 == .badRequest }, "\(statuses)")
            await ada.close()
            await nina.close()
        }
    }
}
