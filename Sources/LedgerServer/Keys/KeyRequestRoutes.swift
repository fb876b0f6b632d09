import Foundation
import Hummingbird
import LedgerApp
import LedgerCore
import LedgerCrypto
import Synchronization

/// Registration requests waiting for an administrator, outside the log: a person who has no registered key yet
/// submits the signed request `ledger key generate` wrote; an administrator lists them and registers one with a
/// signed `key.registered` statement (`ledger key register REQUEST … --ledger https://…`), which removes it.
///
/// Kept in memory, at most ``capacity`` at a time, each for a week; a request whose key is registered, or whose
/// key id is already waiting, is refused. A restart empties the queue (the person submits again).
final class KeyRequestQueue: Sendable {
    static let capacity = 1000
    static let lifetime: TimeInterval = 7 * 24 * 3600

    struct Waiting: Sendable {
        let keyID: String
        let request: KeyRequest
        let text: String
        let received: Date
    }

    private let waiting = Mutex<[String: Waiting]>([:])
    /// Submissions by peer address: ``perMinute`` a minute (as many at once).
    private let recent = RateLimiter(perSecond: Double(perMinute) / 60, burst: Double(perMinute))
    static let perMinute = 20

    /// Counts a submission from `peer`: nil when admitted, else the seconds until the next is.
    func admit(_ peer: String) -> Int? { recent.take(peer) }

    /// Queues a request; false if its key id is already waiting.
    func add(_ entry: Waiting) throws -> Bool {
        try waiting.withLock { queue in
            let now = Date()
            queue = queue.filter { now.timeIntervalSince($0.value.received) < Self.lifetime }
            guard queue[entry.keyID] == nil else { return false }
            guard queue.count < Self.capacity else {
                throw Problem(
                    .serviceUnavailable, code: "store", "the registration queue is full; ask an administrator")
            }
            queue[entry.keyID] = entry
            return true
        }
    }

    /// Removes the request of a key that was registered.
    func remove(_ keyID: String) { _ = waiting.withLock { $0.removeValue(forKey: keyID) } }

    /// The requests waiting, oldest first.
    var all: [Waiting] { waiting.withLock { Array($0.values) }.sorted { $0.received < $1.received } }
}

/// - `POST /api/v1/key-requests`: a signed registration request (unauthenticated), answered 202; at most
///   ``KeyRequestQueue/perMinute`` a minute from one address (429 with `Retry-After` above).
/// - `GET /api/v1/key-requests`: the requests waiting, for administrators.
struct KeyRequestRoutes {
    let store: any LedgerStore
    let queue: KeyRequestQueue

    func add(to router: Router<LedgerRequestContext>) {
        router.post("/api/v1/key-requests") { _, context in try await submit(context) }
        router.get("/api/v1/key-requests") { _, context in try list(context) }
    }

    private func submit(_ context: LedgerRequestContext) async throws -> Response {
        if let wait = queue.admit(context.peer) {
            var problem = Problem(
                .tooManyRequests, code: "usage",
                "more than \(KeyRequestQueue.perMinute) registration requests from this address in a minute")
            problem.headers[.retryAfter] = String(wait)
            throw problem
        }
        let body = context.body
        guard body.count <= 16 << 10 else {
            throw Problem(.contentTooLarge, code: "usage", "a registration request is at most 16 KiB")
        }
        let store = self.store
        let entry = try await OffExecutor.run { () -> KeyRequestQueue.Waiting in
            guard let origin = try store.read({ try $0.meta("origin") }) else {
                throw LedgerError.usage("the ledger is empty")
            }
            let (request, publicKey, _) = try KeyManagement.checkedRequest(body, origin: origin, roles: [])
            let keyID = KeyFiles.keyID(publicKey)
            if try store.read({ try $0.key(keyID) }) != nil {
                throw KeyManagement.alreadyRegistered(keyID)
            }
            return KeyRequestQueue.Waiting(
                keyID: keyID, request: request, text: String(decoding: body, as: UTF8.self), received: Date())
        }
        let added = try queue.add(entry)
        return Reply.json(
            .object([
                JSONMember("key", .string(entry.keyID)),
                JSONMember("status", added ? "queued" : "already-queued"),
            ]), status: .accepted)
    }

    private func list(_ context: LedgerRequestContext) throws -> Response {
        let caller = try context.requireCaller()
        guard caller.key.hasRole(Roles.admin) else {
            throw Problem.forbidden("registration requests are for administrators")
        }
        let formatter = ISO8601DateFormatter()
        return Reply.json(
            .object([
                JSONMember(
                    "requests",
                    .array(
                        queue.all.map { waiting in
                            .object([
                                JSONMember("agency", .string(waiting.request.agency)),
                                JSONMember("key", .string(waiting.keyID)),
                                JSONMember("name", .string(waiting.request.name)),
                                JSONMember("person", .string(waiting.request.person)),
                                JSONMember("received", .string(formatter.string(from: waiting.received))),
                                JSONMember("request", .string(waiting.text)),
                            ])
                        }))
            ]))
    }
}
