import CustodyDomain
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

/// The co-signature queue: a disposal signed by its actor waits, outside the log, for the witnessing officer it
/// names, who adds their signature on their own device; nobody else can complete, take or see it.
@Suite(.serialized)
struct CoSignTests {
    @Test func aDisposalWaitsForItsWitnessWhoCoSignsAndItIsRecorded() async throws {
        try await ServerHarness.run { server in
            let carol = try server.fixture.key("carol")
            let bob = try server.fixture.key("bob")
            let position = try await server.remote("carol").head("item/EV-1")
            let signed = try StatementSigning.sign(
                at: position, type: CustodyEvents.itemDisposed,
                data: [
                    "method": "destroyed", "authority": "Court order 5",
                    "witness_key": .string(KeyID.of(bob.publicKey)),
                ],
                signer: carol)
            let count = try server.fixture.count()

            // Only its actor queues it; a statement naming no co-signer goes to /api/v1/statements.
            #expect(
                try await server.signedRequest(.post, "/api/v1/pending", by: "bob", body: signed.line).status
                    == .forbidden)
            let plain = try StatementSigning.sign(
                at: position, type: CustodyEvents.itemStored, data: ["location": "Shelf 1"], signer: carol)
            #expect(
                try await server.signedRequest(.post, "/api/v1/pending", by: "carol", body: plain.line).status
                    == .badRequest)
            let queued = try await server.signedRequest(.post, "/api/v1/pending", by: "carol", body: signed.line)
            #expect(queued.status == .accepted)
            #expect(try queued.json.member("status")?.stringValue == "awaiting-co-signature")
            let again = try await server.signedRequest(.post, "/api/v1/pending", by: "carol", body: signed.line)
            #expect(try again.json.member("status")?.stringValue == "already-waiting")

            // bob sees it as its co-signer, carol as its actor, audrey not at all.
            let bobs = try await server.signedRequest(.get, "/api/v1/pending", by: "bob").json
            #expect(bobs.member("pending")?.arrayValue?.first?.member("role")?.stringValue == "co-signer")
            let carols = try await server.signedRequest(.get, "/api/v1/pending", by: "carol").json
            #expect(carols.member("pending")?.arrayValue?.first?.member("role")?.stringValue == "actor")
            let audreys = try await server.signedRequest(.get, "/api/v1/pending", by: "audrey").json
            #expect(audreys.member("pending")?.arrayValue?.isEmpty == true)

            let id = signed.body.id
            let cosigned = try StatementSigning.cosign(signed, signer: bob)
            // Nobody else completes it; a changed statement is not the one waiting; nothing is written.
            #expect(
                try await server.signedRequest(.post, "/api/v1/pending/\(id)/cosign", by: "audrey", body: cosigned.line)
                    .status == .forbidden)
            let other = try StatementSigning.sign(
                at: position, type: CustodyEvents.itemDisposed,
                data: [
                    "method": "released", "authority": "Court order 5", "witness_key": .string(KeyID.of(bob.publicKey)),
                ],
                signer: carol, id: id)
            #expect(
                try await server.signedRequest(
                    .post, "/api/v1/pending/\(id)/cosign", by: "bob",
                    body: try StatementSigning.cosign(other, signer: bob).line
                ).status == .badRequest)
            #expect(
                try await server.signedRequest(.post, "/api/v1/pending/\(id)/cosign", by: "bob", body: signed.line)
                    .status == .unauthorized)
            #expect(try server.fixture.count() == count)

            let recorded = try await server.signedRequest(
                .post, "/api/v1/pending/\(id)/cosign", by: "bob", body: cosigned.line)
            #expect(recorded.status == .created, "\(String(buffer: recorded.body))")
            #expect(try recorded.json.member("receipt")?.stringValue?.hasPrefix("c2sp.org/tlog-proof@v1") == true)
            #expect(try server.fixture.count() == count + 1)
            let left = try await server.signedRequest(.get, "/api/v1/pending", by: "bob").json
            #expect(left.member("pending")?.arrayValue?.isEmpty == true)
            #expect(
                try await server.signedRequest(.post, "/api/v1/pending/\(id)/cosign", by: "bob", body: cosigned.line)
                    .status == .notFound)
        }
    }

    @Test func itsActorWithdrawsItOrItsWitnessDeclinesIt() async throws {
        try await ServerHarness.run { server in
            let carol = try server.fixture.key("carol")
            let bob = try server.fixture.key("bob")
            let position = try await server.remote("carol").head("item/EV-1")
            for person in ["carol", "bob"] {
                let signed = try StatementSigning.sign(
                    at: position, type: CustodyEvents.itemDisposed,
                    data: [
                        "method": "destroyed", "authority": "Order", "witness_key": .string(KeyID.of(bob.publicKey)),
                    ],
                    signer: carol)
                #expect(
                    try await server.signedRequest(.post, "/api/v1/pending", by: "carol", body: signed.line).status
                        == .accepted)
                let path = "/api/v1/pending/\(signed.body.id)"
                #expect(try await server.signedRequest(.delete, path, by: "audrey").status == .forbidden)
                #expect(try await server.signedRequest(.delete, path, by: person).status == .noContent)
                #expect(try await server.signedRequest(.delete, path, by: person).status == .notFound)
            }
        }
    }
}
