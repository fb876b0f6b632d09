import CustodyDomain
import LedgerCore
import LedgerCrypto

/// An error a use case reports: a code callers switch over, one line of text, and for a custody refusal the rule
/// and the field it is about.
///
/// The command line prints ``description`` and exits with ``Code/exitStatus``; a server answers with
/// ``Code/httpStatus``. Both come from one table (``Code/exitStatus``, ``Code/httpStatus``).
public struct LedgerError: Error, Sendable, CustomStringConvertible {
    /// The exit status classes of FORMAT.md §9 that an error can have (0 success and 3 findings are not errors).
    public enum Kind: Int32, Sendable, CaseIterable {
        /// Verification failed.
        case integrity = 1
        /// Bad arguments, bad input, unreadable or unwritable files, an id the ledger does not know. Nothing was
        /// written.
        case usage = 2
        /// The ledger moved on under the command (`--expect-rev` not met, a stream head signed against is no longer
        /// the head) or an id was reused with different content. Nothing was written; a retry may succeed.
        case conflict = 4
        /// A rule refused the command: the signer's key or role, a custody or workflow rule in the ledger's current
        /// state. Nothing was written; the same command will be refused again.
        case refused = 5
    }

    /// Every exit status of the `ledger` command with its meaning, in order: the table FORMAT.md §9, README and
    /// `ledger --help` give.
    public static let exitStatuses: [(status: Int32, meaning: String)] = [
        (0, "success"),
        (Kind.integrity.rawValue, "integrity failure"),
        (Kind.usage.rawValue, "usage or I/O error, including an unknown id"),
        (3, "findings only"),
        (Kind.conflict.rawValue, "conflict (a retry may succeed)"),
        (Kind.refused.rawValue, "refused by a role, custody or workflow rule"),
    ]

    /// The exit statuses as one line: `0 success; 1 integrity failure; …`.
    public static var exitStatusSummary: String {
        exitStatuses.map { "\($0.status) \($0.meaning)" }.joined(separator: "; ")
    }

    /// What went wrong, for callers to act on; new codes may be added.
    public enum Code: String, Sendable, CaseIterable {
        /// Bad arguments or input: a malformed file, an unknown option value.
        case usage
        /// No ledger at the location, or no such record.
        case notFound = "not-found"
        /// An entry the type table refuses (unknown type, wrong stream, data against its schema).
        case invalidEntry = "invalid-entry"
        /// A signature that does not verify, a signer whose key is not registered or is revoked, or not exactly the
        /// signers the type requires.
        case signature
        /// The signer holds no role that may sign the event's type.
        case role
        /// The store failed or holds damaged data; nothing was written.
        case store
        /// `--expect-rev` was not met: the stream moved on.
        case staleRevision = "stale-revision"
        /// An id recorded before with other content.
        case idConflict = "id-conflict"
        /// A custody or workflow rule refuses the event in the ledger's current state (``LedgerError/violation``
        /// says which).
        case custody
        /// The case, item or target (or a target's value) exists already (``LedgerError/violation`` says which).
        case exists
        /// Another conflict with the state (a witness's remembered checkpoint, an existing key file).
        case conflict
        /// Verification found the ledger or a bundle broken.
        case integrity
        /// A request to a server without a valid signature by a registered, unrevoked key (RFC 9421; docs/API.md).
        case unauthenticated
        /// The caller may not read or do this: a server's authorization, or a database role's grants.
        case notPermitted = "not-permitted"
    }

    /// What went wrong.
    public let code: Code
    /// One line of text a user can act on.
    public let description: String
    /// The custody rule, for ``Code/custody``.
    public let violation: CustodyViolation?

    /// The exit status class.
    public var kind: Kind { code.kind }

    init(_ code: Code, _ description: String, violation: CustodyViolation? = nil) {
        self.code = code
        self.description = description
        self.violation = violation
    }

    /// An error with this code.
    public init(code: Code, _ description: String) {
        self.init(code, description)
    }

    /// An error of a kind, with the kind's general code.
    public init(_ kind: Kind, _ description: String) {
        let code: Code =
            switch kind {
            case .integrity: .integrity
            case .usage: .usage
            case .conflict: .conflict
            case .refused: .custody
            }
        self.init(code, description)
    }

    /// This error with its text replaced (the code and violation kept): context added by a caller.
    public func with(description: String) -> LedgerError {
        LedgerError(code, description, violation: violation)
    }

    /// Bad input or I/O trouble (exit 2).
    public static func usage(_ text: String) -> LedgerError { LedgerError(.usage, text) }
    /// An id the ledger does not know: an item, case, target, person or seq (exit 2, HTTP 404).
    public static func notFound(_ text: String) -> LedgerError { LedgerError(.notFound, text) }
    /// A conflict (exit 4).
    public static func conflict(_ text: String) -> LedgerError { LedgerError(Code.conflict, text) }
    /// An integrity failure (exit 1).
    public static func integrity(_ text: String) -> LedgerError { LedgerError(Code.integrity, text) }
    /// A custody rule refusing an event: exit 5, or 2 for an id the ledger does not know.
    public static func refused(_ violation: CustodyViolation, _ text: String) -> LedgerError {
        LedgerError(Code(violation.code), text, violation: violation)
    }

    /// Maps any error thrown below the command line to a ledger error, keeping its code's meaning.
    public static func from(_ error: any Error) -> LedgerError {
        switch error {
        case let error as LedgerError: error
        case let error as CryptoError: .usage(error.description)
        case let error as CoreError:
            switch error.code {
            case .format: LedgerError(.usage, error.description)
            case .rule: LedgerError(.invalidEntry, error.description)
            case .signer: LedgerError(error.refusesRole ? .role : .signature, error.description)
            }
        case let error as StoreError:
            switch error.code {
            case .noLedger: LedgerError(.notFound, error.description)
            case .notALedger, .alreadyExists, .unsupportedVersion, .unsupportedLocation, .invalidRequest:
                LedgerError(.usage, error.description)
            case .notPermitted: LedgerError(.notPermitted, error.description)
            case .damaged, .engine: LedgerError(.store, error.description)
            }
        case let error as CustodyViolation: .refused(error, error.description)
        case let error as JSONError: .usage(error.description)
        case let error as EntryFormatError: .usage(error.description)
        default: .usage("\(error)")
        }
    }
}

extension LedgerError.Code {
    /// The code for a custody rule's refusal: an unknown case, item, target or person is not found (exit 2), an
    /// unknown actor is a signature problem, an id or value taken already exists; every other rule, including the
    /// workflow rules added later, refuses (exit 5).
    init(_ violation: CustodyViolation.Code) {
        switch violation {
        case .unknownCase, .unknownItem, .unknownTarget, .unknownPerson: self = .notFound
        case .unknownActor: self = .signature
        case .caseExists, .itemExists, .targetExists, .targetTaken, .agencyAlreadyJoined: self = .exists
        default: self = .custody
        }
    }

    /// The exit status class (FORMAT.md §9).
    public var kind: LedgerError.Kind {
        switch self {
        case .integrity: .integrity
        case .usage, .notFound, .invalidEntry, .store, .unauthenticated, .notPermitted: .usage
        case .staleRevision, .idConflict, .conflict: .conflict
        case .signature, .role, .custody, .exists: .refused
        }
    }

    /// The `ledger` command's exit status for this code (FORMAT.md §9).
    public var exitStatus: Int32 { kind.rawValue }

    /// The HTTP status a server answers with for this code (RFC 9110 §15; FORMAT.md §9).
    public var httpStatus: Int {
        switch self {
        case .usage, .invalidEntry: 400
        case .signature, .unauthenticated: 401
        case .role, .notPermitted: 403
        case .notFound: 404
        case .staleRevision, .idConflict, .conflict, .exists: 409
        case .custody: 422
        case .integrity: 500
        case .store: 503
        }
    }
}
