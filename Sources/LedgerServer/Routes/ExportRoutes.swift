import CourtBundle
import CustodyDomain
import HTTPTypes
import Hummingbird
import LedgerApp
import LedgerCore

/// Court-export bundles over HTTP: the same bag `ledger export` writes (FORMAT.md §11), sent as one ustar archive.
///
/// - `POST /api/v1/exports` with `{"case":"OP-1"}` or `{"items":["EV-1",…]}` (and `witness_quorum`, `size` as
///   `ledger export` takes them): `application/x-tar`, the bag under one folder `bundle-<case or first item>`. The
///   disclosure statement names the caller as who made it; the log key signs it, as it signs checkpoints.
///
/// A case is exported by the people of an agency that joined it, auditors and administrators; items by those who
/// may read every one of them (``Access``).
struct ExportRoutes {
    let store: any LedgerStore

    func add(to router: Router<LedgerRequestContext>) {
        router.post("/api/v1/exports") { _, context in try await export(context) }
    }

    private func export(_ context: LedgerRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let asked = try Self.request(context.body)
        let store = self.store
        let (bag, top) = try await OffExecutor.run { () -> (PreparedBag, String) in
            let top: String
            switch asked.selection {
            case .caseID(let id):
                guard let record = try CustodyQueries.caseRecord(id, in: store) else {
                    throw Problem(.notFound, code: "not-found", "no case \(id)")
                }
                guard Access.mayRead(caseRecord: record, by: caller) else {
                    throw Problem.forbidden("you may not export case \(id): your agency has not joined it")
                }
                top = "bundle-\(id)"
            case .items(let ids):
                for id in ids {
                    guard try CustodyQueries.item(id, in: store) != nil else {
                        throw Problem(.notFound, code: "not-found", "no item \(id)")
                    }
                    guard try Access.mayRead(stream: CustodyStreams.item(id), by: caller, in: store) else {
                        throw Problem.forbidden("you may not export item \(id)")
                    }
                }
                top = "bundle-\(ids.first ?? "items")"
            }
            var options = asked
            options.exportedBy = "\(caller.key.name) (\(caller.person), \(caller.agency))"
            let bag = try Exporter.prepare(store: store, logKey: try LogKeyFile.inForce(store), options: options)
            return (bag, top)
        }
        let mtime = (LedgerTime.milliseconds(rfc3339: bag.export.time) ?? 0) / 1000
        var headers: HTTPFields = [
            .contentType: "application/x-tar", .cacheControl: "no-store",
            .contentDisposition: "attachment; filename=\"\(top).tar\"",
        ]
        headers[.contentLength] = String(
            bag.files.reduce(1024) { $0 + 512 + $1.bytes.count + BagArchive.padding(after: $1.bytes.count).count })
        // The headers are made first, so a path too long for ustar is a problem, never a cut archive.
        let blocks = try bag.files.map { file in
            (try BagArchive.header(path: top + "/" + file.path, size: file.bytes.count, mtime: mtime), file.bytes)
        }
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                for (header, bytes) in blocks {
                    try await writer.write(ByteBuffer(bytes: header))
                    try await writer.write(ByteBuffer(bytes: bytes + BagArchive.padding(after: bytes.count)))
                }
                try await writer.write(ByteBuffer(bytes: BagArchive.end))
                try await writer.finish(nil)
            })
    }

    /// The export a request body asks for, or a 400 problem naming what is wrong.
    static func request(_ body: [UInt8]) throws -> ExportOptions {
        let json: JSONValue
        do { json = try JSONParser.parse(body) } catch {
            throw Problem(.badRequest, code: "usage", "the body is not JSON: \(error)")
        }
        guard let members = json.objectMembers else {
            throw Problem(.badRequest, code: "usage", "the body is a JSON object ({\"case\":…} or {\"items\":[…]})")
        }
        let known: Set<String> = ["case", "items", "witness_quorum", "size"]
        if let unknown = members.first(where: { !known.contains($0.name) }) {
            throw Problem(.badRequest, code: "usage", "unknown member \"\(VisibleText.escape(unknown.name))\"")
        }
        let caseID = json.member("case")?.stringValue
        let items = json.member("items")?.arrayValue?.compactMap(\.stringValue)
        guard (caseID == nil) != (items == nil), json.member("items")?.arrayValue?.count == items?.count,
            items.map({ !$0.isEmpty }) ?? true
        else {
            throw Problem(
                .badRequest, code: "usage", "name either a \"case\" or a non-empty list of \"items\" (strings)")
        }
        for id in items ?? [caseID].compactMap({ $0 }) where !Identifiers.isLocalID(id) {
            throw Problem(
                .badRequest, code: "usage", "\"\(VisibleText.escape(id))\" is not a case or item id")
        }
        var options = ExportOptions(selection: caseID.map { .caseID($0) } ?? .itemSelection(items ?? []), out: "")
        if let quorum = json.member("witness_quorum") {
            guard let value = quorum.integerValue, value >= 0, value <= 100 else {
                throw Problem(.badRequest, code: "usage", "witness_quorum is a number from 0 to 100")
            }
            options.witnessQuorum = Int(value)
        }
        if let size = json.member("size") {
            guard let value = size.integerValue, value >= 1 else {
                throw Problem(.badRequest, code: "usage", "size is a checkpoint size (1 or more)")
            }
            options.size = value
        }
        return options
    }
}
