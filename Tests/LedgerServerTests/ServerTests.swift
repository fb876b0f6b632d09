import CustodyDomain
import Foundation
import HTTPTypes
import HummingbirdTesting
import LedgerApp
import LedgerClient
import LedgerCore
import LedgerCrypto
import LedgerHTTP
import LedgerServer
import LedgerTestSupport
import NIOCore
import Testing

/// `ledger serve` over real HTTP on loopback: signed statements in, receipts out; signatures, replays, access.
@Suite(.serialized)
struct ServerTests {
    static func release(_ item: String, to person: String, at position: StreamPosition, by signer: Ed25519PrivateKey)
        throws -> SignedStatement
    {
        try StatementSigning.sign(
            at: position, type: CustodyEvents.custodyReleased,
            data: ["to": .string(person), "purpose": "storage", "seal": "S-1"], signer: signer)
    }

    @Test func aTransferSignedByItsHolderIsRecordedWithAReceiptThatVerifiesOffline() async throws {
        try await ServerHarness.run { server in
            let carol = try server.remote("carol")
            let position = try await carol.head("item/EV-1")
            #expect(position.rev == 1)
            let statement = try Self.release("EV-1", to: "bob", at: position, by: try server.fixture.key("carol"))
            let outcome = try #require(try await carol.submit([statement]).first)
            #expect(outcome.status == "recorded")
            let seq = try #require(outcome.seq)
            let receipt = try #require(outcome.receipt)
            let proof = try TlogProof(text: receipt)
            let logKey = try NoteVerifierKey(
                name: server.fixture.ledger.origin, publicKey: server.fixture.ledger.logKey.publicKey)
            let (entry, _) = try ProofBuilder.verifyOffline(
                proofText: receipt, record: try #require(proof.extra), logKey: logKey)
            #expect(entry.body.seq == seq)
            #expect(entry.statementHash == statement.statementHash)
            // Sent again: the same seq and the same receipt, nothing written.
            let count = try server.fixture.count()
            let again = try #require(try await carol.submit([statement]).first)
            #expect(again.status == "already-recorded")
            #expect(again.receipt == receipt)
            #expect(try server.fixture.count() == count)
            #expect(try server.fixture.item("EV-1")?.pendingTo == "bob")
            await carol.close()
        }
    }

    @Test func twoOfficersTransferringTheSameItemAtOnceGetOneRecordedAndOneConflict() async throws {
        try await ServerHarness.run { server in
            let carol = try server.remote("carol")
            let position = try await carol.head("item/EV-1")
            let key = try server.fixture.key("carol")
            let first = try Self.release("EV-1", to: "bob", at: position, by: key)
            let second = try Self.release("EV-1", to: "dan", at: position, by: key)
            async let a = carol.submit([first])
            async let b = carol.submit([second])
            let outcomes = try await [a, b].flatMap { $0 }
            #expect(outcomes.filter { $0.status == "recorded" }.count == 1)
            let refused = try #require(outcomes.first { $0.status == "refused" })
            #expect(refused.error?.code == .staleRevision)
            // A single statement refused is answered with its own status: 409 for a conflict.
            let body = (refused.id == first.body.id ? first : second).line
            let response = try await server.signedRequest(.post, "/api/v1/statements", by: "carol", body: body)
            #expect(response.status == .conflict)
            #expect(response.problemCode == "stale-revision")
            #expect(response.headers[.contentType] == "application/problem+json")
            await carol.close()
        }
    }

    @Test func aCustodyRefusalIsAnsweredWithItsRuleAndNothingIsWritten() async throws {
        try await ServerHarness.run { server in
            // bob does not hold EV-1: he may not release it.
            let bob = try server.remote("bob")
            let position = try await bob.head("item/EV-1")
            let statement = try Self.release("EV-1", to: "dan", at: position, by: try server.fixture.key("bob"))
            let count = try server.fixture.count()
            let response = try await server.signedRequest(.post, "/api/v1/statements", by: "bob", body: statement.line)
            #expect(response.status == .unprocessableContent)
            #expect(response.problemCode == "custody")
            #expect(try response.json.member("rule")?.stringValue != nil)
            #expect(try server.fixture.count() == count)
            await bob.close()
        }
    }

    @Test func requestsWithoutAValidSignatureAreRefusedWith401() async throws {
        try await ServerHarness.run { server in
            let unsigned = try await server.client.execute(uri: "/api/v1/whoami", method: .get)
            #expect(unsigned.status == .unauthorized)
            #expect(unsigned.headers[HTTPField.Name("Accept-Signature")!] != nil)
            let health = try await server.client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .ok)

            let signed = try await server.signedRequest(.get, "/api/v1/whoami", by: "carol", nonce: "nonce-1")
            #expect(signed.status == .ok)
            #expect(try signed.json.member("person")?.stringValue == "carol")
            // The same signed request again: its nonce is spent.
            let replay = try await server.signedRequest(.get, "/api/v1/whoami", by: "carol", nonce: "nonce-1")
            #expect(replay.status == .unauthorized)
            #expect(try replay.json.member("detail")?.stringValue?.contains("replay") == true)
            // Made ten minutes ago.
            let stale = try await server.signedRequest(
                .get, "/api/v1/whoami", by: "carol", created: Int64(Date().timeIntervalSince1970) - 600)
            #expect(stale.status == .unauthorized)
            // A body that is not the one digested and signed.
            let statement = Array("{}".utf8)
            let tampered = try await server.signedRequest(
                .post, "/api/v1/statements", by: "carol", body: statement, digestOf: Array("{ }".utf8))
            #expect(tampered.status == .unauthorized)
            #expect(try tampered.json.member("detail")?.stringValue?.contains("Content-Digest") == true)
            // A key the ledger never registered.
            let stranger = try RemoteLedger(url: server.url, signer: .generate())
            do {
                _ = try await stranger.send("GET", "/api/v1/whoami")
                Issue.record("an unregistered key was accepted")
            } catch let error as LedgerError {
                #expect(error.code.rawValue == "unauthenticated" || error.description.contains("not registered"))
            }
        }
    }

    @Test func anOfficerOfAnAgencyOutsideTheCaseMayNotReadItsItems() async throws {
        try await ServerHarness.run { server in
            let olga = try await server.signedRequest(.get, "/api/v1/items/EV-1", by: "olga")
            #expect(olga.status == .forbidden)
            #expect(olga.problemCode == "not-permitted")
            let head = try await server.signedRequest(.get, "/api/v1/head?stream=item/EV-1", by: "olga")
            #expect(head.status == .forbidden)
            let list = try await server.signedRequest(.get, "/api/v1/items", by: "olga")
            #expect(list.status == .ok)
            #expect(try list.json.member("items")?.arrayValue?.isEmpty == true)
            let log = try await server.signedRequest(.get, "/api/v1/log", by: "olga")
            #expect(log.status == .forbidden)

            let bob = try await server.signedRequest(.get, "/api/v1/items/EV-1", by: "bob")
            #expect(bob.status == .ok)
            #expect(try bob.json.member("head")?.member("rev")?.integerValue == 1)
            let audit = try await server.signedRequest(.get, "/api/v1/log?limit=2", by: "audrey")
            #expect(audit.status == .ok)
            #expect(audit.headers[HTTPField.Name("Link")!] == "</api/v1/log?from=3&limit=2>; rel=\"next\"")
            #expect(audit.body.readableBytes > 0)
        }
    }

    @Test func witnessesAndMonitorsFollowTheLogThroughTlogTiles() async throws {
        try await ServerHarness.run { server in
            let size = try server.fixture.count()
            #expect(try await server.client.execute(uri: "/checkpoint", method: .get).status == .unauthorized)
            let checkpointResponse = try await server.signedRequest(.get, "/checkpoint", by: "bob")
            #expect(checkpointResponse.status == .ok)
            let checkpoint = try SignedCheckpoint(noteText: String(buffer: checkpointResponse.body))
            #expect(checkpoint.checkpoint.size == size)
            // The level-0 tile holds the leaf hashes: the root computed from it is the checkpoint's.
            let width = Int(size)
            let tile = try await server.signedRequest(.get, "/tile/0/000.p/\(width)", by: "bob")
            #expect(tile.status == .ok)
            #expect(tile.headers[.cacheControl] == "private, max-age=31536000, immutable")
            let bytes = Array(tile.body.readableBytesView)
            #expect(bytes.count == width * 32)
            let leaves = stride(from: 0, to: bytes.count, by: 32).map { Array(bytes[$0..<$0 + 32]) }
            var tree = MerkleAccumulator()
            for leaf in leaves { _ = tree.append(leafHash: leaf) }
            #expect(tree.root == checkpoint.checkpoint.root)
            // A tile beyond the tree, and a misspelt one.
            #expect(try await server.signedRequest(.get, "/tile/0/000.p/\(width + 1)", by: "bob").status == .notFound)
            #expect(try await server.signedRequest(.get, "/tile/0/0", by: "bob").status == .notFound)
            // Entry bundles are confidential: an auditor reads them, a custodian does not.
            let path = "/tile/entries/000.p/\(width)"
            #expect(try await server.signedRequest(.get, path, by: "bob").status == .forbidden)
            let bundle = try await server.signedRequest(.get, path, by: "audrey")
            #expect(bundle.status == .ok)
            let records = try server.fixture.ledger.records()
            var expected: [UInt8] = []
            for record in records { expected += [UInt8(record.count >> 8), UInt8(record.count & 0xff)] + record }
            #expect(Array(bundle.body.readableBytesView) == expected)
        }
    }

    @Test func publicCheckpointsServeCheckpointAndHashTilesWithoutSignature() async throws {
        try await ServerHarness.run(configure: { $0.publicCheckpoints = true }) { server in
            let checkpoint = try await server.client.execute(uri: "/checkpoint", method: .get)
            #expect(checkpoint.status == .ok)
            #expect(checkpoint.headers[.contentType] == "text/plain; charset=utf-8")
            let tile = try await server.client.execute(uri: "/tile/0/000.p/1", method: .get)
            #expect(tile.status == .ok)
            #expect(tile.headers[.cacheControl] == "public, max-age=31536000, immutable")
            #expect(try await server.client.execute(uri: "/tile/entries/000.p/1", method: .get).status == .unauthorized)
        }
    }

    @Test func anAuditorVerifiesTheServedLogLocallyFromItsEntryBundles() async throws {
        try await ServerHarness.run { server in
            let audrey = try server.remote("audrey")
            let directory = TemporaryDirectory()
            let path = directory.path("downloaded.jsonl")
            let note = try await audrey.downloadLog(to: path) { _ in }
            var options = VerifyOptions()
            options.checkpoint = try SignedCheckpoint(noteText: note)
            options.pinnedLogKey = try NoteVerifierKey(
                name: server.fixture.ledger.origin, publicKey: server.fixture.ledger.logKey.publicKey)
            let report = try VerifyRunner.verify(jsonlPath: path, options: options)
            #expect(report.exitStatus == 0)
            #expect(report.summary?.entries == (try server.fixture.count()))
            await audrey.close()
        }
    }

    @Test func oversizedAndMalformedBodiesAreRefusedAndNothingIsWritten() async throws {
        try await ServerHarness.run(configure: { $0.maxBodyBytes = 4096 }) { server in
            let count = try server.fixture.count()
            let big = [UInt8](repeating: 0x20, count: 5000)
            let oversized = try await server.signedRequest(.post, "/api/v1/statements", by: "carol", body: big)
            #expect(oversized.status == .contentTooLarge)
            let garbage = try await server.signedRequest(
                .post, "/api/v1/statements", by: "carol", body: Array("{\"not\":\"a statement\"}".utf8))
            #expect(garbage.status == .badRequest)
            let wrongType = try await server.signedRequest(
                .post, "/api/v1/statements", by: "carol", body: Array("x".utf8), contentType: "text/plain")
            #expect(wrongType.status == .unsupportedMediaType)
            #expect(try server.fixture.count() == count)
        }
    }
}

/// Prometheus metrics on their own loopback listener.
struct MetricsTests {
    @Test func metricsCountStatementsGroupsAndRequests() async throws {
        let port = try LoopbackPort.free()
        try await ServerHarness.run(configure: { $0.metricsListen = ("127.0.0.1", port) }) { server in
            let carol = try server.remote("carol")
            let position = try await carol.head("item/EV-1")
            let statement = try ServerTests.release(
                "EV-1", to: "bob", at: position, by: try server.fixture.key("carol"))
            _ = try await carol.submit([statement])
            _ = try await carol.submit([statement])
            let scraper = try RemoteLedger(url: "http://127.0.0.1:\(port)", signer: nil)
            var text = ""
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                if let reply = try? await scraper.send("GET", "/metrics") {
                    text = String(decoding: reply.body, as: UTF8.self)
                    break
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(text.contains("ledger_statements_total{outcome=\"recorded\"} 1"), "\(text)")
            #expect(text.contains("ledger_statements_total{outcome=\"already_recorded\"} 1"), "\(text)")
            #expect(text.contains("ledger_commit_groups_total 2"), "\(text)")
            #expect(text.contains("ledger_tree_size \(try server.fixture.count())"), "\(text)")
            #expect(text.contains("ledger_http_requests_total{status=\"2xx\"}"), "\(text)")
            #expect(text.contains("ledger_http_request_seconds_bucket"), "\(text)")
        }
    }
}
