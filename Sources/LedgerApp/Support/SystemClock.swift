import Foundation
import LedgerCore

/// The system's wall clock: what the use cases stamp entries and stored checkpoints with by default.
public struct SystemClock: LedgerClock {
    /// The system clock.
    public init() {}

    /// The wall clock's time, rounded down to the millisecond.
    public func millisecondsSince1970() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }
}
