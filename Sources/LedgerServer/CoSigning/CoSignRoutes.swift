import CustodyDomain
import Foundation
import HTTPTypes
import Hummingbird
import LedgerApp
import LedgerCore
import LedgerCrypto
import Synchronization

/// Statements waiting for a co-signature, outside the log: an officer signs a seizure or a disposal naming a
/// witnessing officer's key (`witness_key`); the server holds it for that officer, who reads it on their own device,
/// adds their signature, and the server records it.
///
/// Kept in memory, at most ``capacity`` at a time, each until it is recorded, withdrawn or declined, or its
/// statement expires (`expires`, FORMAT.md §12.2). A restart empties the queue (the officer submits again).
final class PendingStatements: Sendable {
    static let capacity = 10_000

    struct Pending: Sendable {
        let statement: SignedStatement
        /// The actor's key id and the co-signer's.
        let actor: String
        let coSigner: String
        let received: Date
    }

    private let waiting = Mutex<[String: Pending]>([:])

    /// Queues a statement by its id; false when the same statement is already waiting.
    func add(_ pending: Pending) throws -> Bool {
        try waiting.withLock { queue in
            Self.dropExpired(&queue)
            let id = pending.statement.body.id
            if let existing = queue[id] {
                guard existing.statement.statementHash == pending.statement.statementHash else {
                    throw Problem(.conflict, code: "exists", "another statement with id \(id) is waiting")
                }
                return false
            }
            guard queue.count < Self.capacity else {
                throw Problem(.serviceUnavailable, code: "store", "the co-signature queue is full; try again later")
            }
            queue[id] = pending
            return true
        }
    }

    /// The statement waiting under `id`.
    func get(_ id: String) -> Pending? {
        waiting.withLock { queue in
            Self.dropExpired(&queue)
            return queue[id]
        }
    }

    /// Removes the statement waiting under `id`.
    func remove(_ id: String) { _ = waiting.withLock { $0.removeValue(forKey: id) } }

    /// The statements a key signed or must co-sign, oldest first.
    func involving(_ keyID: String) -> [Pending] {
        waiting.withLock { queue in
            Self.dropExpired(&queue)
            return queue.values.filter { $0.actor == keyID || $0.coSigner == keyID }
        }.sorted { $0.received < $1.received }
    }

    private static func dropExpired(_ queue: inout [String: Pending]) {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        queue = queue.filter { (LedgerTime.milliseconds($0.value.statement.body.expires) ?? 0) > now }
    }
}

/// - `POST /api/v1/pending`: a statement signed by its actor (the caller) that names a co-signer
///   (`witness_key`), queued for them: 202 `{"id","co_signer","status":"awaiting-co-signature"}`.
/// - `GET /api/v1/pending`: the statements the caller must co-sign or is waiting for, each with its
///   signed statement.
/// - `POST /api/v1/pending/{id}/cosign`: the same statement with the caller's co-signature added: recorded now,
///   answered as `POST /api/v1/statements` answers one statement (201 with the receipt, or the problem).
/// - `DELETE /api/v1/pending/{id}`: withdrawn by its actor or declined by its co-signer: 204.
struct CoSignRoutes {
    let store: any LedgerStore
    let queue: PendingStatements
    let statements: StatementRoutes

    func add(to router: Router<LedgerRequestContext>) {
        router.post("/api/v1/pending") { _, context in try await submit(context) }
        router.get("/api/v1/pending") { _, context in try list(context) }
        router.post("/api/v1/pending/:id/cosign") { _, context in try await cosign(context) }
        router.delete("/api/v1/pending/:id") { _, context in try withdraw(context) }
    }

    private static func statement(_ body: [UInt8]) throws -> SignedStatement {
        var bytes = body
        while let last = bytes.last, last == 0x0a || last == 0x0d { bytes.removeLast() }
        do { return try SignedStatement(line: bytes) } catch {
            throw Problem(.badRequest, code: "usage", "the body is not a signed statement: \(error)")
        }
    }

    private func submit(_ context: LedgerRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let statement = try Self.statement(context.body)
        let body = statement.body
        guard body.actor == caller.key.keyID else {
            throw Problem.forbidden("queue only statements you signed as their actor")
        }
        guard let actorSignature = statement.sigs.first(where: { $0.key == body.actor }),
            caller.key.publicKey.verify(signature: actorSignature.signature, message: statement.actorMessage)
        else { throw Problem.unauthenticated("the actor's signature does not verify") }
        guard let rule = TypeTable.custody.rule(body.type, version: body.version),
            case .dataKey(let member) = rule.coSigner, let coSigner = body.data.member(member)?.stringValue
        else {
            throw Problem(
                .badRequest, code: "usage", "\(body.type) names no co-signer: submit it to /api/v1/statements")
        }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        guard (LedgerTime.milliseconds(body.expires) ?? 0) > now else {
            throw Problem(.badRequest, code: "usage", "the statement expired at \(body.expires)")
        }
        let store = self.store
        let coSignerKey = try await OffExecutor.run { try store.read { try $0.key(coSigner) } }
        guard let coSignerKey, coSignerKey.revokedSeq == nil else {
            throw Problem(
                .badRequest, code: "not-found", "the co-signer's key \(coSigner.prefix(12))… is not registered")
        }
        guard coSignerKey.person != caller.person else {
            throw Problem(.badRequest, code: "usage", "the co-signer must be another person than the actor")
        }
        let added = try queue.add(
            .init(statement: statement, actor: caller.key.keyID, coSigner: coSigner, received: Date()))
        return Reply.json(
            .object([
                JSONMember("co_signer", .string(coSigner)), JSONMember("id", .string(body.id)),
                JSONMember("status", .string(added ? "awaiting-co-signature" : "already-waiting")),
            ]), status: .accepted)
    }

    private func list(_ context: LedgerRequestContext) throws -> Response {
        let caller = try context.requireCaller()
        let pending = queue.involving(caller.key.keyID).map { waiting -> JSONValue in
            let body = waiting.statement.body
            return .object([
                JSONMember("actor", .string(waiting.actor)), JSONMember("co_signer", .string(waiting.coSigner)),
                JSONMember("expires", .string(body.expires)), JSONMember("id", .string(body.id)),
                JSONMember("role", .string(waiting.coSigner == caller.key.keyID ? "co-signer" : "actor")),
                JSONMember("signed", (try? JSONParser.parse(waiting.statement.line)) ?? .null),
                JSONMember("stream", .string(body.stream)), JSONMember("type", .string(body.type)),
            ])
        }
        return Reply.json(.object([JSONMember("pending", .array(pending))]))
    }

    private func cosign(_ context: LedgerRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let id = try context.parameters.require("id")
        guard let waiting = queue.get(id) else {
            throw Problem(.notFound, code: "not-found", "no statement \(id) is waiting for a co-signature")
        }
        guard waiting.coSigner == caller.key.keyID else {
            throw Problem.forbidden("statement \(id) waits for another officer's co-signature")
        }
        let signed = try Self.statement(context.body)
        guard signed.statementHash == waiting.statement.statementHash else {
            throw Problem(.badRequest, code: "usage", "this is not the statement that is waiting (its hash differs)")
        }
        guard let mine = signed.sigs.first(where: { $0.key == caller.key.keyID }),
            let message = signed.message(for: mine, table: TypeTable.custody),
            caller.key.publicKey.verify(signature: mine.signature, message: message)
        else { throw Problem.unauthenticated("your co-signature does not verify") }
        var complete = waiting.statement
        complete.add(mine)
        do {
            let response = try await statements.record([complete], single: true)
            queue.remove(id)
            return response
        } catch let problem as Problem where problem.status.code < 500 {
            // Refused by the ledger (a conflict, a custody rule): it never will be recorded as it is.
            queue.remove(id)
            throw problem
        }
    }

    private func withdraw(_ context: LedgerRequestContext) throws -> Response {
        let caller = try context.requireCaller()
        let id = try context.parameters.require("id")
        guard let waiting = queue.get(id) else {
            throw Problem(.notFound, code: "not-found", "no statement \(id) is waiting for a co-signature")
        }
        guard waiting.actor == caller.key.keyID || waiting.coSigner == caller.key.keyID else {
            throw Problem.forbidden("only its actor or its co-signer may take statement \(id) out of the queue")
        }
        queue.remove(id)
        return Response(status: .noContent)
    }
}
