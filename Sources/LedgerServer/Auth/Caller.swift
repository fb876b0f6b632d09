import CustodyDomain
import Hummingbird
import LedgerCore

/// Who signed a request: the registered key, its person, agency and roles, as the ledger records them.
public struct Caller: Sendable {
    /// The key that signed.
    public let key: KeyState

    /// The person id.
    public var person: String { key.person }
    /// The agency.
    public var agency: String { key.agency }

    /// True for auditors and administrators: they may read the whole log.
    public var readsWholeLog: Bool { key.hasRole(Roles.admin) || key.hasRole(Roles.auditor) }
}

/// The request context of `ledger serve`: Hummingbird's core context and the caller, once authenticated.
public struct LedgerRequestContext: RequestContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// The signer of the request, when it carried a valid signature.
    public var caller: Caller?
    /// The request's body, collected and checked against its `Content-Digest` (empty for none).
    public var body: [UInt8] = []

    /// The address the connection came from (a proxy's, behind one).
    public let peer: String

    /// A context for a new request.
    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peer = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    /// The caller, or a 401 problem when the request was not signed.
    public func requireCaller() throws -> Caller {
        guard let caller else {
            throw Problem.unauthenticated(
                "this request must be signed with a registered key (RFC 9421; see docs/API.md \"Authentication\")")
        }
        return caller
    }
}
