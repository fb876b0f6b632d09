import Foundation
import HTTPTypes
import HummingbirdTesting
import LedgerClient
import LedgerServer
import LedgerTestSupport
import LedgerWeb
import NIOCore
import Testing

/// The web interface's files as `ledger serve` serves them: a strict Content-Security-Policy, entity tags, nothing
/// outside the folder; and what a page reads before it has a key.
@Suite(.serialized)
struct WebTests {
    /// Sources/LedgerWeb/app in this checkout.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources/LedgerWeb/app").path

    @Test func thePageAndItsModulesAreServedUnderAStrictPolicy() async throws {
        let assets = try #require(try WebAssets.load(from: Self.root))
        #expect(assets.files["lib/jcs.js"] != nil && assets.files["index.html"] != nil)
        try await ServerHarness.run(configure: { $0.web = assets }) { server in
            let page = try await server.client.execute(uri: "/", method: .get)
            #expect(page.status == .ok)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            let policy = try #require(page.headers[HTTPField.Name("Content-Security-Policy")!])
            #expect(policy.contains("script-src 'self'") && policy.contains("default-src 'none'"))
            #expect(!policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"))
            #expect(policy.contains("frame-ancestors 'none'"))
            #expect(page.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
            #expect(String(buffer: page.body).contains("<script type=\"module\" src=\"/app/app.js\">"))
            // No inline script anywhere in the page.
            #expect(!String(buffer: page.body).contains("<script>"))

            let module = try await server.client.execute(uri: "/app/lib/jcs.js", method: .get)
            #expect(module.status == .ok && module.headers[.contentType] == "text/javascript; charset=utf-8")
            let tag = try #require(module.headers[.eTag])
            let again = try await server.client.execute(
                uri: "/app/lib/jcs.js", method: .get, headers: [.ifNoneMatch: tag])
            #expect(again.status == .notModified)

            let head = try await server.client.execute(uri: "/app/lib/jcs.js", method: .head)
            #expect(head.status == .ok && head.body.readableBytes == 0)
            #expect(head.headers[.eTag] == tag && head.headers[.contentLength] == String(module.body.readableBytes))

            for path in ["/app/../Package.swift", "/app/lib/../../../Package.swift", "/app/nothing.js", "/app/"] {
                let refused = try await server.client.execute(uri: path, method: .get)
                #expect(refused.status == .notFound, "\(path)")
            }
        }
    }

    @Test func infoNamesTheLedgerAndItsLogKeyWithoutASignature() async throws {
        try await ServerHarness.run { server in
            let info = try await RemoteLedger(url: server.url, signer: nil).send("GET", "/api/v1/info")
            let json = try JSONSerialization.jsonObject(with: Data(info.body)) as? [String: String]
            #expect(json?["ledger"] == server.fixture.ledger.origin)
            #expect(json?["url"] == server.url)
            #expect(json?["log_vkey"]?.hasPrefix(server.fixture.ledger.origin + "+") == true)
        }
    }

    @Test func withoutTheFilesThePageSaysHowToInstallThem() async throws {
        try await ServerHarness.run { server in
            let page = try await server.client.execute(uri: "/", method: .get)
            #expect(page.status == .notFound)
            #expect(String(buffer: page.body).contains("--web-root"))
            #expect(try WebAssets.load(from: "/nonexistent") == nil)
        }
    }
}
