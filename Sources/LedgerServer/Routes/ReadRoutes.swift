import CustodyDomain
import Foundation
import HTTPTypes
import Hummingbird
import LedgerApp
import LedgerCore
import LedgerCrypto

/// Reads, each filtered by what the caller may see (``Access``), each list paginated.
///
/// - `GET /api/v1/whoami`: the caller's key, person, agency and roles.
/// - `GET /api/v1/items?case=&holder=&status=&seal=&serial=&exhibit=&limit=&after=`: items, by id; `next` is the
///   `after` of the next page.
/// - `GET /api/v1/items/{id}`: an item, its custody chain (the paper form's rows) and its stream position.
/// - `GET /api/v1/log?from=&to=&stream=&actor=&since=&until=&limit=`: the exact records (`application/jsonl`), the next page in a
///   `Link` header; a stream the caller may read, or the whole log for auditors and administrators.
struct ReadRoutes {
    let store: any LedgerStore
    static let defaultLimit = 100
    static let maxLimit = 1000

    func add(to router: Router<LedgerRequestContext>) {
        router.get("/api/v1/whoami") { _, context in try whoami(context) }
        router.get("/api/v1/items") { request, context in try await items(request, context) }
        router.get("/api/v1/items/:id") { request, context in try await item(request, context) }
        router.get("/api/v1/log") { request, context in try await log(request, context) }
        router.get("/api/v1/activity") { request, context in try await activity(request, context) }
    }

    private func whoami(_ context: LedgerRequestContext) throws -> Response {
        let key = try context.requireCaller().key
        return Reply.json(
            .object([
                JSONMember("agency", .string(key.agency)), JSONMember("key", .string(key.keyID)),
                JSONMember("name", .string(key.name)), JSONMember("person", .string(key.person)),
                JSONMember("roles", .array(key.roles.map { .string($0) })),
            ]))
    }

    private func items(_ request: Request, _ context: LedgerRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let query = request.uri.queryParameters
        let search = ItemSearch(
            caseID: query.get("case"), holder: query.get("holder"), status: query.get("status"),
            seal: query.get("seal"), serial: query.get("serial"), imei: query.get("imei"),
            exhibit: query.get("exhibit"), text: query.get("text"))
        let limit = try Self.limit(query.get("limit"))
        let after = query.get("after")
        let view = query.get("view")
        guard view == nil || ["in-transit", "checked-out", "overdue"].contains(view ?? "") else {
            throw Problem(.badRequest, code: "usage", "view is in-transit, checked-out or overdue")
        }
        let store = self.store
        let (page, next) = try await OffExecutor.run { () -> ([JSONValue], String?) in
            var cases: [String: CaseRecord?] = [:]
            var page: [JSONValue] = []
            var next: String?
            var lastID: String?
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            let rows: [(item: ItemRecord, json: JSONValue)] =
                switch view {
                case "in-transit"?: try CustodyQueries.inTransit(in: store, matching: search).map { ($0.item, $0.json) }
                case "checked-out"?:
                    try CustodyQueries.checkedOut(in: store, matching: search, now: now).map { ($0.item, $0.json) }
                case "overdue"?:
                    try CustodyQueries.checkedOut(in: store, matching: search, now: now).filter(\.isOverdue)
                        .map { ($0.item, $0.json) }
                default: try CustodyQueries.items(in: store, matching: search).map { ($0, $0.jsonValue) }
                }
            // Lists come by id, views in their own order (the longest in transit first): a page starts after the
            // item named by `after`.
            var started = after == nil
            for (item, json) in rows {
                if !started, let after {
                    guard view == nil else {
                        if item.id == after { started = true }
                        continue
                    }
                    guard after.precedesInBytes(item.id) else { continue }
                    started = true
                }
                if !caller.readsWholeLog {
                    if cases[item.caseID] == nil {
                        cases[item.caseID] = try CustodyQueries.caseRecord(item.caseID, in: store)
                    }
                    let caseRecord = cases[item.caseID] ?? nil
                    let steps = try CustodyQueries.item(item.id, in: store)?.1 ?? []
                    guard Access.mayRead(item: item, steps: steps, caseRecord: caseRecord, by: caller) else { continue }
                }
                guard page.count < limit else {
                    next = lastID
                    break
                }
                page.append(json)
                lastID = item.id
            }
            return (page, next)
        }
        return Reply.json(
            .object([JSONMember("items", .array(page)), JSONMember("next", next.map { .string($0) } ?? .null)]))
    }

    /// The items of the cases the caller may read that changed last, newest first, each with its last step
    /// (`{"activity":[{"item","case","seq","type","by"}…]}`): the dashboard's recent activity, in one request.
    private func activity(_ request: Request, _ context: LedgerRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let limit = min(try Self.limit(request.uri.queryParameters.get("limit")), 100)
        let store = self.store
        let rows = try await OffExecutor.run { () -> [JSONValue] in
            let cases = try CustodyQueries.cases(in: store).filter { Access.mayRead(caseRecord: $0, by: caller) }
            var latest: [ItemRecord] = []
            for caseRecord in cases {
                for item in try CustodyQueries.items(in: store, matching: ItemSearch(caseID: caseRecord.id)) {
                    latest.append(item)
                    if latest.count > 4 * limit {
                        latest.sort { $0.lastSeq > $1.lastSeq }
                        latest.removeLast(latest.count - limit)
                    }
                }
            }
            latest.sort { $0.lastSeq > $1.lastSeq }
            return latest.prefix(limit).compactMap { item in
                guard let last = item.log.last else { return nil }
                return .object([
                    JSONMember("by", .string(last.person)), JSONMember("case", .string(item.caseID)),
                    JSONMember("item", .string(item.id)), JSONMember("seq", .integer(last.seq)),
                    JSONMember("type", .string(last.type)),
                ])
            }
        }
        return Reply.json(.object([JSONMember("activity", .array(rows))]))
    }

    private func item(_ request: Request, _ context: LedgerRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let id = try context.parameters.require("id")
        let store = self.store
        let json = try await OffExecutor.run { () -> JSONValue in
            let (item, steps) = try Access.readableItem(id, by: caller, in: store)
            var members = item.jsonValue.objectMembers ?? []
            members.append(JSONMember("custody_chain", .array(steps.map(\.jsonValue))))
            members.append(JSONMember("head", try StreamPosition.of(CustodyStreams.item(id), in: store).json))
            return .object(members)
        }
        return Reply.json(json)
    }

    private func log(_ request: Request, _ context: LedgerRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let query = request.uri.queryParameters
        let limit = try Self.limit(query.get("limit"))
        var logQuery = LogQuery()
        logQuery.from = try Self.seq(query.get("from"), name: "from") ?? 1
        logQuery.to = try Self.seq(query.get("to"), name: "to")
        logQuery.stream = query.get("stream")
        let actor = query.get("actor")
        logQuery.since = try query.get("since").map { text throws(LedgerError) in
            try LogQuery.instant(text, option: "since")
        }
        logQuery.until = try query.get("until").map { text throws(LedgerError) in
            try LogQuery.instant(text, option: "until", endOfDay: true)
        }
        let store = self.store
        let (lines, next) = try await OffExecutor.run { [logQuery] () -> ([UInt8], Int64?) in
            var asked = logQuery
            if let actor { asked.actorKeys = try LogQuery.keys(ofPerson: actor, option: "actor", in: store) }
            if let stream = asked.stream {
                guard try Access.mayRead(stream: stream, by: caller, in: store) else {
                    throw Problem.forbidden("you may not read \(stream)")
                }
            } else if !caller.readsWholeLog {
                throw Problem.forbidden("the whole log is for auditors and administrators; name a stream you may read")
            }
            var lines: [UInt8] = []
            var count = 0
            var next: Int64?
            try store.read { reader in
                var filter = asked.recordFilter
                filter.withStoredState = false
                let filtered = asked.actorKeys != nil || asked.since != nil || asked.until != nil
                try reader.forEachRecord(filter) { stored in
                    guard count < limit else {
                        next = stored.seq
                        return false
                    }
                    if filtered, let entry = try? Entry.parse(record: stored.record) {
                        switch asked.verdict(entry) {
                        case .stop: return false
                        case .skip: return true
                        case .show: break
                        }
                    }
                    lines += stored.record + [0x0a]
                    count += 1
                    return true
                }
            }
            return (lines, next)
        }
        var response = Reply.bytes(lines, contentType: "application/jsonl", cacheControl: "no-store")
        if let next {
            var link = "/api/v1/log?from=\(next)&limit=\(limit)"
            if let to = logQuery.to { link += "&to=\(to)" }
            for (name, value) in [
                ("stream", logQuery.stream), ("actor", actor), ("since", query.get("since")),
                ("until", query.get("until")),
            ] {
                guard let value else { continue }
                link += "&\(name)=\(value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value)"
            }
            response.headers[.link] = "<\(link)>; rel=\"next\""
        }
        return response
    }

    /// The `limit` and `after` of a list request.
    static func paging(_ request: Request) throws -> (limit: Int, after: String?) {
        let query = request.uri.queryParameters
        return (try limit(query.get("limit")), query.get("after"))
    }

    /// One page of `values` (each with its id) in id order, after the id `after`: `{"<member>":[…],"next":…}`.
    static func page(_ values: [(id: String, json: JSONValue)], member: String, after: String?, limit: Int) -> Response
    {
        let sorted = values.sorted { $0.id.utf8.lexicographicallyPrecedes($1.id.utf8) }
        let rest = sorted.drop(while: { value in after.map { !$0.precedesInBytes(value.id) } ?? false })
        let page = rest.prefix(limit)
        let next = rest.count > limit ? page.last?.id : nil
        return Reply.json(
            .object([
                JSONMember(member, .array(page.map(\.json))), JSONMember("next", next.map { .string($0) } ?? .null),
            ]))
    }

    static func limit(_ text: String?) throws -> Int {
        guard let text else { return defaultLimit }
        guard let value = Int(text), value >= 1, value <= maxLimit else {
            throw Problem(.badRequest, code: "usage", "limit is 1 to \(maxLimit)")
        }
        return value
    }

    static func seq(_ text: String?, name: String) throws -> Int64? {
        guard let text else { return nil }
        guard let value = Int64(text), value >= 1 else {
            throw Problem(.badRequest, code: "usage", "\(name) is a seq (1 or more)")
        }
        return value
    }
}
