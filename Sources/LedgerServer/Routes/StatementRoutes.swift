import HTTPTypes
import Hummingbird
import LedgerApp
import LedgerCore

/// Writes: signed statements (format v2) in, outcomes and receipts out.
///
/// - `POST /api/v1/statements` with `Content-Type: application/json`: one signed statement, answered with its
///   result: 201 when recorded now, 200 when it was already recorded (the same receipt), or the problem that refused
///   it with its own status.
/// - With `Content-Type: application/jsonl`: a statement file (one signed statement per line, as `ledger sign`
///   writes), answered 200 with one result per statement, in order.
/// - `GET /api/v1/head?stream=…`: the position a signer signs the next statement of a stream at.
struct StatementRoutes {
    let store: any LedgerStore
    let committer: GroupCommitter
    let maxStatements: Int
    /// Requests a recorded `key.registered` completes are removed from it.
    let keyRequests: KeyRequestQueue

    func add(to router: Router<LedgerRequestContext>) {
        router.post("/api/v1/statements") { request, context in try await submit(request, context) }
        router.get("/api/v1/head") { request, context in try await head(request, context) }
    }

    private func submit(_ request: Request, _ context: LedgerRequestContext) async throws -> Response {
        _ = try context.requireCaller()
        let mediaType = request.headers[.contentType].map { String($0.split(separator: ";")[0]).lowercased() }
        let single: Bool
        switch mediaType {
        case "application/json": single = true
        case "application/jsonl", "application/x-ndjson": single = false
        default:
            throw Problem(
                .unsupportedMediaType, code: "usage",
                "send one statement as application/json or a statement file as application/jsonl")
        }
        let statements: [SignedStatement]
        do {
            if single {
                var bytes = context.body
                while let last = bytes.last, last == 0x0a || last == 0x0d { bytes.removeLast() }
                statements = [try SignedStatement(line: bytes)]
            } else {
                statements = try StatementSigning.read(file: context.body, name: "the request body")
            }
        } catch let error as LedgerError {
            throw Problem(error)
        } catch {
            throw Problem(.badRequest, code: "usage", "the body is not a signed statement: \(error)")
        }
        guard !statements.isEmpty else { throw Problem(.badRequest, code: "usage", "no statements in the body") }
        guard statements.count <= maxStatements else {
            throw Problem(
                .contentTooLarge, code: "usage",
                "\(statements.count) statements in one request; at most \(maxStatements)")
        }
        return try await record(statements, single: single)
    }

    /// Sequences `statements` in the next commit group and answers with their results and receipts: for one
    /// statement (`single`) its result with 201 or 200, or its problem; else 200 with one result per statement.
    func record(_ statements: [SignedStatement], single: Bool) async throws -> Response {
        let result: GroupCommitter.GroupResult
        do { result = try await committer.submit(statements) } catch { throw Problem(LedgerError.from(error)) }
        let outcomes = result.outcomes
        for (statement, outcome) in zip(statements, outcomes)
        where outcome.seq != nil && statement.body.type == EventTypes.keyRegistered {
            if let keyID = statement.body.data.member("key")?.stringValue { keyRequests.remove(keyID) }
        }
        let store = self.store
        let wanted = outcomes.compactMap { outcome -> (seq: Int64, size: Int64?)? in
            switch outcome.status {
            case .recorded(let seq): (seq, result.checkpointSize)
            case .alreadyRecorded(let seq): (seq, nil)
            case .refused: nil
            }
        }
        let proofs = try await OffExecutor.run { try StatementSigning.receipts(wanted, in: store) }
        var remaining = proofs.makeIterator()
        let receipts = outcomes.map { outcome in outcome.seq == nil ? nil : remaining.next()?.text }
        let results = zip(outcomes, receipts).map { Self.json($0, receipt: $1) }
        if single, let outcome = outcomes.first {
            switch outcome.status {
            case .recorded: return Reply.json(results[0], status: .created)
            case .alreadyRecorded: return Reply.json(results[0])
            case .refused(let error): throw Problem(error)
            }
        }
        return Reply.json(.object([JSONMember("results", .array(results))]))
    }

    private func head(_ request: Request, _ context: LedgerRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        guard let stream = request.uri.queryParameters.get("stream") else {
            throw Problem(.badRequest, code: "usage", "name the stream: ?stream=item/EV-0001")
        }
        let store = self.store
        let position = try await OffExecutor.run {
            let position = try StreamPosition.of(stream, in: store)
            // A stream with no entry yet reveals nothing but the ledger's identity: a seizing officer signs its
            // first statement on it.
            let mayRead = try position.rev == 0 || Access.mayRead(stream: stream, by: caller, in: store)
            guard mayRead else {
                throw Problem.forbidden("you may not read \(stream)")
            }
            return position
        }
        return Reply.json(position.json)
    }

    /// One statement's result: `id`, `type`, `stream`, `status` (`recorded`, `already-recorded`, `refused`), and
    /// `seq` with `receipt` (the tlog-proof text) or `problem`.
    static func json(_ outcome: SubmitOutcome, receipt: String?) -> JSONValue {
        var members = [
            JSONMember("id", .string(outcome.id)), JSONMember("type", .string(outcome.type)),
            JSONMember("stream", .string(outcome.stream)),
        ]
        switch outcome.status {
        case .recorded(let seq), .alreadyRecorded(let seq):
            if case .recorded = outcome.status {
                members.append(JSONMember("status", "recorded"))
            } else {
                members.append(JSONMember("status", "already-recorded"))
            }
            members.append(JSONMember("seq", .integer(seq)))
            if let receipt { members.append(JSONMember("receipt", .string(receipt))) }
        case .refused(let error):
            members.append(JSONMember("status", "refused"))
            members.append(JSONMember("problem", Problem(error).json))
        }
        return .object(members)
    }
}
