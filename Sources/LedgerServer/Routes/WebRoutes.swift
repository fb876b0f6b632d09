import HTTPTypes
import Hummingbird
import LedgerApp
import LedgerCore
import LedgerWeb

/// The web interface (docs/WEB.md): its files, under a strict Content-Security-Policy, and what a page needs to
/// know before it has a key.
///
/// - `GET /`: the page (`index.html`); `GET /app/…`: its modules and style sheet, each with a strong `ETag`
///   (`If-None-Match` answers 304).
/// - `GET /api/v1/info`: unauthenticated: the ledger's origin, the URL requests are signed for, and its log key
///   (which the page pins the first time, for the person to compare with the one their administrator gave).
struct WebRoutes {
    let store: any LedgerStore
    let assets: WebAssets?
    let signedURL: @Sendable () -> String

    /// No script but the page's own modules, no inline script or style, no eval, no plug-ins, no framing; requests
    /// only to this server.
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self';"
        + " manifest-src 'self'; worker-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    func add(to router: Router<LedgerRequestContext>) {
        router.get("/") { request, _ in try file("index.html", request) }
        router.get("/app/**") { request, context in
            try file(context.parameters.getCatchAll().joined(separator: "/"), request)
        }
        // HEAD answers as GET without the body (RFC 9110 §9.3.2): caches and link checkers ask it.
        router.head("/") { request, _ in Self.headOnly(try file("index.html", request)) }
        router.head("/app/**") { request, context in
            Self.headOnly(try file(context.parameters.getCatchAll().joined(separator: "/"), request))
        }
        // The service worker (offline reading) is served from the root, so that it may serve the whole page.
        router.get("/sw.js") { request, _ in try file("sw.js", request) }
        router.get("/api/v1/info") { _, _ in try await info() }
    }

    private func file(_ path: String, _ request: Request) throws -> Response {
        guard let assets else {
            throw Problem(
                .notFound, code: "not-found",
                "the web interface's files are not installed beside the ledger binary; start the server with"
                    + " --web-root Sources/LedgerWeb/app (docs/WEB.md)")
        }
        guard let file = assets.files[path] else { throw Problem(.notFound, code: "not-found", "no such file") }
        var headers: HTTPFields = [
            .contentType: file.contentType, .eTag: file.etag, .cacheControl: "no-cache",
            .xContentTypeOptions: "nosniff", .referrerPolicy: "no-referrer",
            .contentSecurityPolicy: Self.contentSecurityPolicy,
        ]
        headers[.crossOriginOpenerPolicy] = "same-origin"
        if request.headers[.ifNoneMatch] == file.etag {
            return Response(status: .notModified, headers: headers)
        }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: file.bytes)))
    }

    /// A GET answer's status and header fields, its length kept, without its body.
    static func headOnly(_ response: Response) -> Response {
        var headers = response.headers
        if let length = response.body.contentLength { headers[.contentLength] = String(length) }
        return Response(status: response.status, headers: headers)
    }

    private func info() async throws -> Response {
        let store = self.store
        let (origin, vkey) = try await OffExecutor.run { () -> (String, String) in
            try store.read { reader in
                guard let origin = try reader.meta("origin") else { throw LedgerError.usage("the ledger is empty") }
                return (origin, try LedgerFacts.logKeyInForce(reader).vkey)
            }
        }
        return Reply.json(
            .object([
                JSONMember("ledger", .string(origin)), JSONMember("log_vkey", .string(vkey)),
                JSONMember("url", .string(signedURL())),
            ]))
    }
}

extension HTTPField.Name {
    static let contentSecurityPolicy = HTTPField.Name.known("Content-Security-Policy")
    static let xContentTypeOptions = HTTPField.Name.known("X-Content-Type-Options")
    static let referrerPolicy = HTTPField.Name.known("Referrer-Policy")
    static let crossOriginOpenerPolicy = HTTPField.Name.known("Cross-Origin-Opener-Policy")
}
