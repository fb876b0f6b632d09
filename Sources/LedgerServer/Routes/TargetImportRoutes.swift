import CustodyDomain
import HTTPTypes
import Hummingbird
import LedgerApp
import LedgerCore

/// Preparing a target list for signing in the browser.
///
/// The server reads the CSV exactly as `ledger target import` does (RFC 4180, the same columns, every value
/// normalized and checked, errors by line number) and answers the `target.identified` data and stream of each new
/// target; the person's page signs and submits them. The server signs nothing and writes nothing here.
///
/// - `POST /api/v1/targets/prepare?case=ID&source=TEXT` with a `text/csv` body: 200
///   `{"targets":[{"line","stream","data"}…],"known":[…]}` (`known`: rows whose target the case already has, each
///   "line N: …", skipped), or a 400 problem listing the invalid rows by line.
struct TargetImportRoutes {
    let store: any LedgerStore

    func add(to router: Router<LedgerRequestContext>) {
        router.post("/api/v1/targets/prepare") { request, context in try await prepare(request, context) }
    }

    private func prepare(_ request: Request, _ context: LedgerRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let query = request.uri.queryParameters
        guard let caseID = query.get("case") else {
            throw Problem(.badRequest, code: "usage", "name the case: ?case=OP-1")
        }
        let source = query.get("source")
        let body = context.body
        let store = self.store
        let json = try await OffExecutor.run { () -> JSONValue in
            guard let record = try CustodyQueries.caseRecord(caseID, in: store) else {
                throw Problem(.notFound, code: "not-found", "no case \(caseID)")
            }
            guard Access.mayRead(caseRecord: record, by: caller) else {
                throw Problem.forbidden("you may not record targets in case \(caseID): your agency has not joined it")
            }
            let rows = try TargetImport.parse(csv: body, defaultSource: source)
            let known = try TargetImport.knownRows(rows, caseID: caseID, in: store)
            let knownLines = Set(known.map(\.row.line))
            let targets = rows.filter { !knownLines.contains($0.line) }.map { row -> JSONValue in
                .object([
                    JSONMember("data", row.data(caseID: caseID)), JSONMember("line", .integer(Int64(row.line))),
                    JSONMember(
                        "stream",
                        .string("target/" + CustodyQueries.targetID(caseID: caseID, kind: row.kind, value: row.value))),
                ])
            }
            return .object([
                JSONMember(
                    "known",
                    .array(
                        known.map { row, id in
                            .string("line \(row.line): \(row.kind.rawValue) \(row.value) is already target \(id)")
                        })),
                JSONMember("targets", .array(targets)),
            ])
        }
        return Reply.json(json)
    }
}
