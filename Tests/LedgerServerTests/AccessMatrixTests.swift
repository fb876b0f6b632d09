import Foundation
import HTTPTypes
import HummingbirdTesting
import LedgerTestSupport
import NIOCore
import Testing

/// Every endpoint × every kind of caller, each answer's status checked, refusals included.
///
/// The callers: no signature, an officer of an agency outside the case (olga), a custodian of the case's agency
/// (bob), an auditor (audrey).
@Suite(.serialized)
struct AccessMatrixTests {
    /// The expected statuses for: unsigned, olga, bob, audrey.
    static let matrix: [(method: HTTPRequest.Method, path: String, statuses: [HTTPResponse.Status])] = [
        (.get, "/healthz", [.ok, .ok, .ok, .ok]),
        (.get, "/api/v1/whoami", [.unauthorized, .ok, .ok, .ok]),
        (.get, "/api/v1/head?stream=item/EV-1", [.unauthorized, .forbidden, .ok, .ok]),
        (.get, "/api/v1/head?stream=item/EV-NEW", [.unauthorized, .ok, .ok, .ok]),
        (.get, "/api/v1/items", [.unauthorized, .ok, .ok, .ok]),
        (.get, "/api/v1/items/EV-1", [.unauthorized, .forbidden, .ok, .ok]),
        (.get, "/api/v1/items?view=in-transit", [.unauthorized, .ok, .ok, .ok]),
        (.get, "/api/v1/items?view=overdue", [.unauthorized, .ok, .ok, .ok]),
        (.get, "/api/v1/items?view=lost-and-found", [.unauthorized, .badRequest, .badRequest, .badRequest]),
        (.get, "/api/v1/items/EV-404", [.unauthorized, .notFound, .notFound, .notFound]),
        (.get, "/api/v1/log", [.unauthorized, .forbidden, .forbidden, .ok]),
        (.get, "/api/v1/log?stream=item/EV-1", [.unauthorized, .forbidden, .ok, .ok]),
        (.get, "/api/v1/cases", [.unauthorized, .ok, .ok, .ok]),
        (.get, "/api/v1/cases/CASE-1", [.unauthorized, .forbidden, .ok, .ok]),
        (.get, "/api/v1/targets?case=CASE-1", [.unauthorized, .forbidden, .ok, .ok]),
        (.get, "/api/v1/people", [.unauthorized, .ok, .ok, .ok]),
        (.get, "/api/v1/targets/T-404", [.unauthorized, .notFound, .notFound, .notFound]),
        (.post, "/api/v1/targets/prepare?case=CASE-1", [.unauthorized, .forbidden, .badRequest, .badRequest]),
        (.post, "/api/v1/targets/prepare?case=CASE-404", [.unauthorized, .notFound, .notFound, .notFound]),
        (.get, "/api/v1/stats", [.unauthorized, .forbidden, .forbidden, .ok]),
        (.get, "/api/v1/stats?case=CASE-1", [.unauthorized, .forbidden, .ok, .ok]),
        (.get, "/api/v1/proofs/inclusion?seq=SEIZURE", [.unauthorized, .forbidden, .ok, .ok]),
        (.get, "/api/v1/proofs/consistency?old=1&new=2", [.unauthorized, .ok, .ok, .ok]),
        (.get, "/checkpoint", [.unauthorized, .ok, .ok, .ok]),
        (.get, "/tile/0/000.p/1", [.unauthorized, .ok, .ok, .ok]),
        (.get, "/tile/entries/000.p/1", [.unauthorized, .forbidden, .forbidden, .ok]),
        (.get, "/api/v1/key-requests", [.unauthorized, .forbidden, .forbidden, .forbidden]),
        (.post, "/api/v1/key-requests", [.badRequest, .badRequest, .badRequest, .badRequest]),
        (.get, "/api/v1/nothing-here", [.notFound, .notFound, .notFound, .notFound]),
        (.post, "/api/v1/statements", [.unauthorized, .badRequest, .badRequest, .badRequest]),
        (.get, "/api/v1/pending", [.unauthorized, .ok, .ok, .ok]),
        (.post, "/api/v1/pending", [.unauthorized, .badRequest, .badRequest, .badRequest]),
        (
            .post, "/api/v1/pending/4b1c9b7e-0000-4000-8000-000000000000/cosign",
            [.unauthorized, .notFound, .notFound, .notFound]
        ),
        (
            .delete, "/api/v1/pending/4b1c9b7e-0000-4000-8000-000000000000",
            [.unauthorized, .notFound, .notFound, .notFound]
        ),
        (.get, "/api/v1/info", [.ok, .ok, .ok, .ok]),
        (.get, "/api/v1/activity", [.unauthorized, .ok, .ok, .ok]),
        (.get, "/api/v1/timestamps", [.unauthorized, .ok, .ok, .ok]),
        (.get, "/api/v1/items/EV-1/label", [.unauthorized, .forbidden, .ok, .ok]),
        (.get, "/api/v1/items/EV-1/label?format=png", [.unauthorized, .forbidden, .ok, .ok]),
        (.get, "/api/v1/labels?seal=S-1", [.unauthorized, .ok, .ok, .ok]),
        (.get, "/api/v1/labels", [.unauthorized, .badRequest, .badRequest, .badRequest]),
        (.post, "/api/v1/exports", [.unauthorized, .forbidden, .ok, .ok]),
        (.post, "/api/v1/exports#items", [.unauthorized, .forbidden, .ok, .ok]),
        (.post, "/api/v1/exports#missing", [.unauthorized, .notFound, .notFound, .notFound]),
    ]

    /// The body of each POST that is not the default one.
    static let bodies = [
        "/api/v1/exports": #"{"case":"CASE-1"}"#, "/api/v1/exports#items": #"{"items":["EV-1"]}"#,
        "/api/v1/exports#missing": #"{"case":"CASE-404"}"#,
    ]

    @Test func everyEndpointAnswersEveryCallerAsTheRulesSay() async throws {
        try await ServerHarness.run { server in
            let seizure = try server.fixture.count()
            for row in Self.matrix {
                let path = String(
                    row.path.replacingOccurrences(of: "SEIZURE", with: String(seizure)).prefix { $0 != "#" })
                let body: [UInt8] =
                    row.method == .post ? Array((Self.bodies[row.path] ?? "{\"not\":\"a statement\"}").utf8) : []
                let unsigned = try await server.client.execute(
                    uri: path, method: row.method, headers: [.contentType: "application/json"],
                    body: body.isEmpty ? nil : .init(bytes: body))
                #expect(unsigned.status == row.statuses[0], "unsigned \(row.method) \(path)")
                for (index, person) in ["olga", "bob", "audrey"].enumerated() {
                    let response = try await server.signedRequest(row.method, path, by: person, body: body)
                    #expect(
                        response.status == row.statuses[index + 1],
                        "\(person) \(row.method) \(path): \(String(buffer: response.body).prefix(200))")
                    if response.status == .forbidden {
                        #expect(response.problemCode == "not-permitted", "\(person) \(path)")
                    }
                }
            }
        }
    }
}
