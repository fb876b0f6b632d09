import Foundation
import HTTPTypes
import Hummingbird
import LedgerCore
import LedgerCrypto
import LedgerHTTP
import NIOCore
import Synchronization

/// Checks every request's HTTP message signature (RFC 9421, this API's profile in docs/API.md) and, when it holds,
/// puts the signer in the context; collects the body (up to the limit) and checks its `Content-Digest`.
///
/// A request without `Signature-Input` passes through unauthenticated (each route decides whether it needs a
/// caller); a request with one that does not hold is refused here with 401, whatever the route.
struct SignatureAuthenticator: RouterMiddleware {
    typealias Context = LedgerRequestContext

    let store: any LedgerStore
    /// The scheme and authority clients sign `@target-uri` with (`--public-url`); forwarded headers are never used.
    let publicURL: @Sendable () -> String
    let maxBodyBytes: Int
    /// How far a signature's `created` may be from this server's clock, in seconds.
    let skewSeconds: Int64
    let nonces: NonceCache
    /// Requests a key may make (after its signature holds), and an address without a signature; nil: no limit.
    let limiter: RateLimiter?

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var request = request
        var context = context
        let buffer: ByteBuffer
        do { buffer = try await request.collectBody(upTo: maxBodyBytes) } catch {
            throw Problem(
                .contentTooLarge, code: "usage", "the request body is over the limit of \(maxBodyBytes) bytes")
        }
        context.body = Array(buffer.readableBytesView)
        guard let input = request.headers[.signatureInput] else {
            try admit("address " + context.peer)
            return try await next(request, context)
        }
        let caller = try await authenticate(request, input: input, body: context.body)
        try admit("key " + caller.key.keyID)
        context.caller = caller
        return try await next(request, context)
    }

    /// A 429 problem with `Retry-After` when `name` is over its rate.
    private func admit(_ name: String) throws {
        guard let limiter, let wait = limiter.take(name) else { return }
        var problem = Problem(
            .tooManyRequests, code: "usage",
            "more than \(Int(limiter.perSecond)) requests a second (\(Int(limiter.burst)) at once) from one key or address;"
                + " try again in \(wait) s")
        problem.headers[.retryAfter] = String(wait)
        throw problem
    }

    private func authenticate(_ request: Request, input: String, body: [UInt8]) async throws -> Caller {
        guard let signatureField = request.headers[.signature] else {
            throw Problem.unauthenticated("Signature-Input without Signature")
        }
        let received: MessageSignature.Received
        let parameters: MessageSignatureParameters
        do {
            received = try MessageSignature.received(signatureInput: input, signature: signatureField)
            parameters = try received.parameters()
        } catch {
            throw Problem.unauthenticated("\(error)")
        }
        for required in ["@method", "@target-uri"] where !received.components.contains(required) {
            throw Problem.unauthenticated("the signature must cover \"\(required)\"")
        }
        if !body.isEmpty {
            guard received.components.contains("content-digest"), let digest = request.headers[.contentDigest] else {
                throw Problem.unauthenticated("a request with a body must send Content-Digest and sign it")
            }
            do {
                guard try ContentDigest.matches(digest, body: body) else {
                    throw Problem.unauthenticated("Content-Digest does not match the body")
                }
            } catch let failure as MessageSignature.Failure {
                throw Problem.unauthenticated("\(failure)")
            }
        }
        let now = Int64(Date().timeIntervalSince1970)
        guard parameters.created <= now + skewSeconds, parameters.created >= now - skewSeconds else {
            throw Problem.unauthenticated(
                "the signature was created at \(parameters.created), more than \(skewSeconds) s from this server's"
                    + " clock (\(now)): check the client's clock")
        }
        guard parameters.expires > now, parameters.expires - parameters.created <= 300 else {
            throw Problem.unauthenticated("the signature has expired (or is valid for more than 300 s)")
        }
        guard Hex.isCanonical(parameters.keyID, byteCount: 32) else {
            throw Problem.unauthenticated("keyid is a key id: 64 lowercase hex digits")
        }
        let keyID = parameters.keyID
        let key = try await store.read { reader in try reader.key(keyID) }
        guard let key else {
            throw Problem.unauthenticated("key \(keyID.prefix(12))… is not registered in this ledger")
        }
        if let revoked = key.revokedSeq {
            throw Problem.unauthenticated("key \(keyID.prefix(12))… was revoked at seq \(revoked)")
        }
        let targetURI = publicURL() + request.uri.string
        let parts = SignedRequestParts(
            method: request.method.rawValue, targetURI: targetURI,
            fields: request.headers.map { ($0.name.canonicalName, $0.value) })
        let valid: Bool
        do { valid = try received.verify(parts, key: key.publicKey) } catch {
            throw Problem.unauthenticated("\(error)")
        }
        guard valid else {
            throw Problem.unauthenticated(
                "the signature does not verify (this server signs requests as \(targetURI); see --public-url)")
        }
        // Only a verified signature spends its nonce: nobody else can fill the cache.
        guard nonces.spend(keyID + " " + parameters.nonce, until: parameters.expires + skewSeconds, now: now) else {
            throw Problem.unauthenticated("this request was already received (its nonce is spent): a replay")
        }
        return Caller(key: key)
    }
}

/// Nonces spent by verified signatures, each kept until its signature has expired.
final class NonceCache: Sendable {
    /// Nonce → the second after which it may be forgotten; purged of expired ones as it grows.
    private let spent = Mutex<(nonces: [String: Int64], nextPurge: Int)>(([:], 1024))

    /// Records `nonce` until `expiry`; false if it was already spent.
    func spend(_ nonce: String, until expiry: Int64, now: Int64) -> Bool {
        spent.withLock { state in
            if let until = state.nonces[nonce], until >= now { return false }
            state.nonces[nonce] = expiry
            if state.nonces.count >= state.nextPurge {
                state.nonces = state.nonces.filter { $0.value >= now }
                state.nextPurge = max(1024, state.nonces.count * 2)
            }
            return true
        }
    }
}
