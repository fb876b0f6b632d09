import CustodyDomain
import Hummingbird
import LedgerApp
import LedgerCore
import LedgerCrypto

/// Cases, targets, people and figures, each filtered by what the caller may see (``Access``).
///
/// - `GET /api/v1/cases?limit=&after=`: the cases the caller's agency has joined (every case for auditors and administrators).
/// - `GET /api/v1/cases/{id}`: a case, with its operation figures (`stats`).
/// - `GET /api/v1/targets?case=&status=&category=&country=&limit=&after=`: the targets of readable cases, by id.
/// - `GET /api/v1/targets/{id}`: one target of a readable case.
/// - `GET /api/v1/people?limit=&after=`: people, their agencies and keys (every signed caller: officers name recipients).
/// - `GET /api/v1/stats?case=`: the figures of a readable case, or of every case for whole-log readers.
struct CaseRoutes {
    let store: any LedgerStore

    func add(to router: Router<LedgerRequestContext>) {
        router.get("/api/v1/cases") { request, context in try await cases(request, context) }
        router.get("/api/v1/cases/:id") { _, context in try await caseRecord(context) }
        router.get("/api/v1/targets") { request, context in try await targets(request, context) }
        router.get("/api/v1/targets/:id") { _, context in try await target(context) }
        router.get("/api/v1/people") { request, context in try await people(request, context) }
        router.get("/api/v1/stats") { request, context in try await stats(request, context) }
    }

    private func cases(_ request: Request, _ context: LedgerRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let (limit, after) = try ReadRoutes.paging(request)
        let store = self.store
        let readable = try await OffExecutor.run {
            try CustodyQueries.cases(in: store).filter { Access.mayRead(caseRecord: $0, by: caller) }
                .map { ($0.id, $0.jsonValue) }
        }
        return ReadRoutes.page(readable, member: "cases", after: after, limit: limit)
    }

    private func caseRecord(_ context: LedgerRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let id = try context.parameters.require("id")
        let store = self.store
        let json = try await OffExecutor.run { () -> JSONValue in
            guard let record = try CustodyQueries.caseRecord(id, in: store) else {
                throw Problem(.notFound, code: "not-found", "no case \(id)")
            }
            guard Access.mayRead(caseRecord: record, by: caller) else {
                throw Problem.forbidden("you may not read case \(id): your agency has not joined it")
            }
            var members = record.jsonValue.objectMembers ?? []
            members.append(JSONMember("stats", try OperationStats.compute(caseID: id, in: store).json))
            return .object(members)
        }
        return Reply.json(json)
    }

    private func targets(_ request: Request, _ context: LedgerRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let query = request.uri.queryParameters
        let limit = try ReadRoutes.limit(query.get("limit"))
        let after = query.get("after")
        let (caseID, status, category, country) = (
            query.get("case"), query.get("status"), query.get("category"), query.get("country")
        )
        let store = self.store
        let (page, next) = try await OffExecutor.run { () -> ([JSONValue], String?) in
            let readable = Set(
                try CustodyQueries.cases(in: store).filter { Access.mayRead(caseRecord: $0, by: caller) }.map(\.id))
            if let caseID, !readable.contains(caseID) {
                throw Problem.forbidden("you may not read the targets of case \(caseID)")
            }
            var page: [JSONValue] = []
            var next: String?
            for target in try CustodyQueries.targets(
                in: store, caseID: caseID, status: status, category: category, country: country)
            {
                if let after, !after.precedesInBytes(target.id) { continue }
                guard readable.contains(target.caseID) else { continue }
                guard page.count < limit else {
                    next = page.last?.member("id")?.stringValue
                    break
                }
                page.append(target.jsonValue)
            }
            return (page, next)
        }
        return Reply.json(
            .object([JSONMember("next", next.map { .string($0) } ?? .null), JSONMember("targets", .array(page))]))
    }

    private func target(_ context: LedgerRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let id = try context.parameters.require("id")
        let store = self.store
        let json = try await OffExecutor.run { () -> JSONValue in
            guard let target = try CustodyQueries.target(id, in: store) else {
                throw Problem(.notFound, code: "not-found", "no target \(id)")
            }
            guard let record = try CustodyQueries.caseRecord(target.caseID, in: store),
                Access.mayRead(caseRecord: record, by: caller)
            else { throw Problem.forbidden("you may not read target \(id): your agency has not joined its case") }
            return target.jsonValue
        }
        return Reply.json(json)
    }

    private func people(_ request: Request, _ context: LedgerRequestContext) async throws -> Response {
        _ = try context.requireCaller()
        let (limit, after) = try ReadRoutes.paging(request)
        let store = self.store
        let people = try await OffExecutor.run {
            try CustodyQueries.people(in: store).map { ($0.person, $0.jsonValue) }
        }
        return ReadRoutes.page(people, member: "people", after: after, limit: limit)
    }

    private func stats(_ request: Request, _ context: LedgerRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let caseID = request.uri.queryParameters.get("case")
        let store = self.store
        let json = try await OffExecutor.run { () -> JSONValue in
            if let caseID {
                guard let record = try CustodyQueries.caseRecord(caseID, in: store) else {
                    throw Problem(.notFound, code: "not-found", "no case \(caseID)")
                }
                guard Access.mayRead(caseRecord: record, by: caller) else {
                    throw Problem.forbidden("you may not read case \(caseID): your agency has not joined it")
                }
            } else if !caller.readsWholeLog {
                throw Problem.forbidden("the figures of every case are for auditors and administrators; name ?case=")
            }
            return try OperationStats.compute(caseID: caseID, in: store).json
        }
        return Reply.json(json)
    }
}

/// Proofs against the ledger's stored checkpoints (RFC 9162; C2SP tlog-proof).
///
/// - `GET /api/v1/proofs/inclusion?seq=&size=`: the tlog-proof of an entry the caller may read (its stream), with
///   the record in its `extra` line, against the checkpoint of `size` or the newest.
/// - `GET /api/v1/proofs/consistency?old=&new=`: the consistency proof between two tree sizes with both roots
///   (what hash tiles reveal anyway: any signed caller).
struct ProofRoutes {
    let store: any LedgerStore

    func add(to router: Router<LedgerRequestContext>) {
        router.get("/api/v1/proofs/inclusion") { request, context in try await inclusion(request, context) }
        router.get("/api/v1/proofs/consistency") { request, context in try await consistency(request, context) }
    }

    private func inclusion(_ request: Request, _ context: LedgerRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let query = request.uri.queryParameters
        guard let seq = try ReadRoutes.seq(query.get("seq"), name: "seq") else {
            throw Problem(.badRequest, code: "usage", "name the entry: ?seq=N")
        }
        let size = try ReadRoutes.seq(query.get("size"), name: "size")
        let store = self.store
        let text = try await OffExecutor.run { () -> String in
            var stream: String?
            try store.read { reader in
                try reader.forEachRecord(RecordFilter(from: seq, to: seq, withStoredState: false)) {
                    stream = try Entry.parse(record: $0.record).body.stream
                    return false
                }
            }
            guard let stream else { throw Problem(.notFound, code: "not-found", "there is no entry at seq \(seq)") }
            guard try Access.mayRead(stream: stream, by: caller, in: store) else {
                throw Problem.forbidden("you may not read the entry at seq \(seq) (\(stream))")
            }
            let proof = try ProofBuilder.inclusion(seq: seq, size: size, in: store)
            let receipt = try StatementSigning.receipt(seq: seq, size: proof.checkpoint.checkpoint.size, in: store)
            return receipt.text
        }
        return Reply.bytes(Array(text.utf8), contentType: "text/plain; charset=utf-8", cacheControl: "no-store")
    }

    private func consistency(_ request: Request, _ context: LedgerRequestContext) async throws -> Response {
        _ = try context.requireCaller()
        let query = request.uri.queryParameters
        guard let old = try ReadRoutes.seq(query.get("old"), name: "old"),
            let new = try ReadRoutes.seq(query.get("new"), name: "new")
        else {
            throw Problem(.badRequest, code: "usage", "name both tree sizes: ?old=M&new=N")
        }
        let store = self.store
        let (oldRoot, newRoot, hashes) = try await OffExecutor.run {
            try ProofBuilder.consistency(old: old, new: new, in: store)
        }
        return Reply.json(
            .object([
                JSONMember("new", .integer(new)), JSONMember("new_root", .string(Base64.encode(newRoot))),
                JSONMember("old", .integer(old)), JSONMember("old_root", .string(Base64.encode(oldRoot))),
                JSONMember("proof", .array(hashes.map { .string(Base64.encode($0)) })),
            ]))
    }
}
