import CustodyDomain
import HTTPTypes
import Hummingbird
import LedgerApp
import LedgerCore

/// An error answered as RFC 9457 problem details: `type`, `title`, `status`, `detail`, and this API's `code` (the
/// ledger's error code, the same the command line exits with) and, for a custody refusal, the `rule`.
public struct Problem: Error, HTTPResponseError, Sendable {
    /// The HTTP status.
    public let status: HTTPResponse.Status
    /// The ledger's error code (`stale-revision`, `custody`, `unauthenticated`…).
    public let code: String
    /// One line a person can act on.
    public let detail: String
    /// The custody rule that refused, if one did.
    public let rule: String?
    /// Extra header fields (`Retry-After`, `Accept-Signature`).
    public var headers: HTTPFields = [:]

    /// A problem from its parts.
    public init(_ status: HTTPResponse.Status, code: String, _ detail: String, rule: String? = nil) {
        self.status = status
        self.code = code
        self.detail = detail
        self.rule = rule
    }

    /// The problem for a ledger error: its status from the one table (`LedgerError.Code.httpStatus`).
    public init(_ error: LedgerError) {
        self.init(
            HTTPResponse.Status(code: error.code.httpStatus), code: error.code.rawValue, error.description,
            rule: error.violation?.code.rawValue)
    }

    /// A request without a valid signature (401).
    public static func unauthenticated(_ detail: String) -> Problem {
        var problem = Problem(.unauthorized, code: LedgerError.Code.unauthenticated.rawValue, detail)
        // RFC 9421 §5.1: what a signature must cover to be accepted.
        problem.headers[.acceptSignature] =
            "ledger=(\"@method\" \"@target-uri\" \"content-digest\");created;expires;nonce;keyid;alg=\"ed25519\""
        return problem
    }

    /// A signed request whose signer may not see or do this (403).
    public static func forbidden(_ detail: String) -> Problem {
        Problem(.forbidden, code: LedgerError.Code.notPermitted.rawValue, detail)
    }

    /// The problem details object.
    public var json: JSONValue {
        var members = [
            JSONMember("type", .string("urn:custody-ledger:problem:\(code)")),
            JSONMember("title", .string(status.reasonPhrase)), JSONMember("status", .integer(Int64(status.code))),
            JSONMember("detail", .string(detail)), JSONMember("code", .string(code)),
        ]
        if let rule { members.append(JSONMember("rule", .string(rule))) }
        return .object(members)
    }

    /// The response: `application/problem+json`.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var fields = headers
        fields[.contentType] = "application/problem+json"
        fields[.cacheControl] = "no-store"
        return Response(
            status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: JCS.serialize(json))))
    }
}

extension HTTPField.Name {
    /// A field name known to be valid (a token), spelt as a literal here.
    static func known(_ name: String) -> HTTPField.Name {
        // A literal token is always a valid field name; the fallback is never taken.
        HTTPField.Name(name) ?? .contentType
    }

    /// The id of a request, in its answer and in the server's log line for it.
    static let requestID = HTTPField.Name.known("Request-Id")
    /// RFC 8288.
    static let link = HTTPField.Name.known("Link")
    /// RFC 9421 §4.1.
    static let signatureInput = HTTPField.Name.known("Signature-Input")
    /// RFC 9421 §4.2.
    static let signature = HTTPField.Name.known("Signature")
    /// RFC 9421 §5.1.
    static let acceptSignature = HTTPField.Name.known("Accept-Signature")
    /// RFC 9530 §2.
    static let contentDigest = HTTPField.Name.known("Content-Digest")
}

/// JSON and text responses.
enum Reply {
    /// A JSON body (canonical JSON, RFC 8785), not cached.
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: JCS.serialize(value))))
    }

    /// Bytes with a content type and cache policy.
    static func bytes(_ bytes: [UInt8], contentType: String, cacheControl: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: contentType, .cacheControl: cacheControl],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
