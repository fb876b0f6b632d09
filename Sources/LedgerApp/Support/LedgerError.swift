import CustodyDomain
import LedgerCore
import LedgerCrypto

/// An error a use case reports: a code callers switch over, one line of text, and for a custody refusal the rule
/// and the field it is about.
///
/// The command line prints ``description`` and exits with ``Code/exitStatus``; a server answers with
/// ``Code/httpStatus``. Both come from one table (``Code/exitStatus``, ``Code/httpStatus``).
public struct LedgerError: Error, Sendable, CustomStringConvertible {
    /// The exit status classes of FORMAT.md §9.
    public enum Kind: Int32, Sendable {
        /// Verification failed.
        case integrity = 1
        /// Bad arguments, bad input, unreadable or unwritable files. Nothing was written.
        case usage = 2
        /// An id reused with different content, `--expect-rev` not met, or a custody rule refusing the command in the
        /// ledger's current state. Nothing was written.
        case conflict = 4
    }

    /// What went wrong, for callers to act on; new codes may be added.
    public enum Code: String, Sendable, CaseIterable {
        /// Bad arguments or input: a malformed file, an unknown option value.
        case usage
        /// No ledger at the location, or no such record.
        case notFound = "not-found"
        /// An entry the type table refuses (unknown type, wrong stream, data against its schema).
        case invalidEntry = "invalid-entry"
        /// A signer who may not sign (unregistered, revoked, without the role) or a signature that does not verify.
        case signature
        /// The store failed or holds damaged data; nothing was written.
        case store
        /// `--expect-rev` was not met: the stream moved on.
        case staleRevision = "stale-revision"
        /// An id recorded before with other content.
        case idConflict = "id-conflict"
        /// A custody rule refuses the event in the ledger's current state (``LedgerError/violation`` says which).
        case custody
        /// Another conflict with the state (a witness's remembered checkpoint, an existing key file).
        case conflict
        /// Verification found the ledger or a bundle broken.
        case integrity
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

    /// An error of a kind, with the kind's general code.
    public init(_ kind: Kind, _ description: String) {
        let code: Code =
            switch kind {
            case .integrity: .integrity
            case .usage: .usage
            case .conflict: .conflict
            }
        self.init(code, description)
    }

    /// This error with its text replaced (the code and violation kept): context added by a caller.
    public func with(description: String) -> LedgerError {
        LedgerError(code, description, violation: violation)
    }

    /// Bad input or I/O trouble (exit 2).
    public static func usage(_ text: String) -> LedgerError { LedgerError(.usage, text) }
    /// A conflict (exit 4).
    public static func conflict(_ text: String) -> LedgerError { LedgerError(Code.conflict, text) }
    /// An integrity failure (exit 1).
    public static func integrity(_ text: String) -> LedgerError { LedgerError(Code.integrity, text) }
    /// A custody rule refusing an event (exit 4).
    public static func refused(_ violation: CustodyViolation, _ text: String) -> LedgerError {
        LedgerError(.custody, text, violation: violation)
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
            case .signer: LedgerError(.signature, error.description)
            }
        case let error as StoreError:
            switch error.code {
            case .noLedger: LedgerError(.notFound, error.description)
            case .notALedger, .alreadyExists, .unsupportedVersion, .unsupportedLocation, .invalidRequest:
                LedgerError(.usage, error.description)
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
    /// The exit status class (FORMAT.md §9).
    public var kind: LedgerError.Kind {
        switch self {
        case .integrity: .integrity
        case .usage, .notFound, .invalidEntry, .signature, .store: .usage
        case .staleRevision, .idConflict, .custody, .conflict: .conflict
        }
    }

    /// The `ledger` command's exit status for this code (FORMAT.md §9).
    public var exitStatus: Int32 { kind.rawValue }

    /// The HTTP status a server answers with for this code (RFC 9110 §15).
    public var httpStatus: Int {
        switch self {
        case .usage: 400
        case .signature: 403
        case .notFound: 404
        case .idConflict, .custody, .conflict: 409
        case .staleRevision: 412
        case .invalidEntry: 422
        case .integrity: 500
        case .store: 503
        }
    }
}
