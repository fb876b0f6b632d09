import Foundation
import HummingbirdTesting
import LedgerClient
import LedgerTestSupport
import Testing

/// Every list pages the same way: `limit`, and the `next` id given back as `after`, in id order, nothing twice.
@Suite(.serialized)
struct PaginationTests {
    @Test func peopleAndCasesComeInPagesThatAddUpToTheWholeList() async throws {
        try await ServerHarness.run { server in
            let audrey = try server.remote("audrey")
            for (path, member, idField) in [
                ("/api/v1/people", "people", "person"), ("/api/v1/cases", "cases", "id"),
            ] {
                let whole = try await audrey.all(path, member: member)
                var seen: [String] = []
                var after: String?
                repeat {
                    let query = "?limit=2" + (after.map { "&after=\($0)" } ?? "")
                    let page =
                        try JSONSerialization.jsonObject(
                            with: Data(try await audrey.send("GET", path + query).body)) as? [String: Any]
                    let values = page?[member] as? [[String: Any]] ?? []
                    #expect(values.count <= 2)
                    seen += values.compactMap { $0[idField] as? String }
                    after = page?["next"] as? String
                } while after != nil
                #expect(seen.count == whole.count, "\(path)")
                #expect(Set(seen).count == seen.count, "\(path): an id came twice")
                #expect(seen == seen.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }, "\(path)")
            }
            #expect(try await audrey.all("/api/v1/people", member: "people").count >= 5)
        }
    }
}
