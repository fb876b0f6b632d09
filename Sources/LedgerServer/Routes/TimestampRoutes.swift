import HTTPTypes
import Hummingbird
import LedgerApp
import LedgerCore
import LedgerCrypto

/// The RFC 3161 time stamps stored over checkpoints (`ledger checkpoint add-timestamp`), for auditors to check.
///
/// - `GET /api/v1/timestamps`: `{"timestamps":[{"size","checkpoint","token","checked",…}]}`: each token (base64 of
///   the DER TimeStampResp) with the body of the checkpoint it covers (what `openssl ts -verify -data` reads). With
///   `ledger serve --tsa-ca FILE` the server checks each against that CA and adds `gen_time` and `tsa`; without,
///   `checked` is false and the auditor checks them with their own CA.
struct TimestampRoutes {
    let store: any LedgerStore
    let caFile: String?

    func add(to router: Router<LedgerRequestContext>) {
        router.get("/api/v1/timestamps") { _, context in try await timestamps(context) }
    }

    private func timestamps(_ context: LedgerRequestContext) async throws -> Response {
        _ = try context.requireCaller()
        let (store, caFile) = (self.store, self.caFile)
        let list = try await OffExecutor.run { () -> [JSONValue] in
            let (stored, notes) = try store.read { reader in
                (try reader.timestampResponses(), try reader.checkpointNotes())
            }
            return try stored.map { size, response -> JSONValue in
                guard let note = notes.first(where: { $0.size == size })?.note else {
                    throw LedgerError.integrity("a time stamp covers size \(size), which has no checkpoint")
                }
                let body = try SignedNote(parsing: note).text
                var members = [
                    JSONMember("checkpoint", .string(body)), JSONMember("size", .integer(size)),
                    JSONMember("token", .string(Base64.encode(response))),
                ]
                if let caFile {
                    do {
                        let info = try RFC3161.verify(
                            response: response, sha256: SHA256.hash(Array(body.utf8)), caFile: caFile)
                        members += [
                            JSONMember("checked", .bool(true)), JSONMember("gen_time", .string(info.genTime)),
                            JSONMember("tsa", info.tsaName.map { .string($0) } ?? .null),
                        ]
                    } catch {
                        members += [
                            JSONMember("checked", .bool(false)),
                            JSONMember("problem", .string("does not verify with the server's TSA CA: \(error)")),
                        ]
                    }
                } else {
                    members.append(JSONMember("checked", .bool(false)))
                }
                return .object(members)
            }
        }
        return Reply.json(.object([JSONMember("timestamps", .array(list))]))
    }
}
