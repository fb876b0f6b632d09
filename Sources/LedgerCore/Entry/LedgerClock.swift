/// Where the time an entry or a stored checkpoint is stamped with comes from.
///
/// The core never reads a clock: the use cases are given one (the system's, or a fixed one in tests) and pass the
/// time in.
public protocol LedgerClock: Sendable {
    /// Milliseconds since the Unix epoch.
    func millisecondsSince1970() -> Int64
}

extension LedgerClock {
    /// The current time as a ledger time (FORMAT.md §3.1: 24 characters, UTC, milliseconds).
    public func now() -> String { LedgerTime.format(millisecondsSince1970: millisecondsSince1970()) }
}

/// A clock that always tells the same time: for tests and reproducible examples.
public struct FixedClock: LedgerClock {
    /// The time it tells, in milliseconds since the Unix epoch.
    public let milliseconds: Int64

    /// A clock that tells `milliseconds` since the Unix epoch.
    public init(millisecondsSince1970 milliseconds: Int64) { self.milliseconds = milliseconds }

    /// The fixed time.
    public func millisecondsSince1970() -> Int64 { milliseconds }
}
