/// An error from a store: no ledger at the location, not a ledger, damaged stored data, or the engine failing.
///
/// Every store throws these, so callers (the command line, a server) handle any store alike: switch over ``code``.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure, for callers to act on; new codes may be added.
    public enum Code: String, Sendable, CaseIterable {
        /// No ledger exists at the location.
        case noLedger = "no-ledger"
        /// Something exists at the location, but it is not a (complete) ledger of this tool.
        case notALedger = "not-a-ledger"
        /// Creating a ledger where one (or anything) already exists: a ledger is never overwritten.
        case alreadyExists = "already-exists"
        /// A ledger of a storage version this tool does not read.
        case unsupportedVersion = "unsupported-version"
        /// Stored data that cannot be read as the schema says: hand-edited or damaged; `ledger verify` tells more.
        case damaged
        /// A request the store cannot serve as asked (an unknown projection table or column).
        case invalidRequest = "invalid-request"
        /// The location cannot be served by any store this build has.
        case unsupportedLocation = "unsupported-location"
        /// The store's own access control refuses the connection or the operation (a database role without the
        /// privilege, or one that could bypass the append-only rules and so may not append).
        case notPermitted = "not-permitted"
        /// The storage engine failed (I/O, locking, constraint): nothing was committed.
        case engine
    }

    /// What kind of failure.
    public let code: Code
    /// What failed, in words a user can act on.
    public let description: String

    /// An error of `code`, saying what failed in `description`; stores use a static factory where there is one.
    public init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }

    /// No ledger at `location`.
    public static func noLedger(_ description: String) -> StoreError { StoreError(.noLedger, description) }
    /// Not a ledger.
    public static func notALedger(_ description: String) -> StoreError { StoreError(.notALedger, description) }
    /// A ledger is never overwritten.
    public static func alreadyExists(_ description: String) -> StoreError { StoreError(.alreadyExists, description) }
    /// Stored data is unreadable.
    public static func damaged(_ description: String) -> StoreError { StoreError(.damaged, description) }
    /// The engine failed.
    public static func engine(_ description: String) -> StoreError { StoreError(.engine, description) }
}
