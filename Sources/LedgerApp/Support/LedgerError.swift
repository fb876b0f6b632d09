import LedgerCore
import LedgerCrypto

/// An error a `ledger` command reports: one line of text and the exit status it maps to (FORMAT.md §9).
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

    public let kind: Kind
    public let description: String

    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }

    /// Bad input or I/O trouble (exit 2).
    public static func usage(_ text: String) -> LedgerError { LedgerError(.usage, text) }
    /// A conflict (exit 4).
    public static func conflict(_ text: String) -> LedgerError { LedgerError(.conflict, text) }
    /// An integrity failure (exit 1).
    public static func integrity(_ text: String) -> LedgerError { LedgerError(.integrity, text) }

    /// Maps any error thrown below the command line to a ledger error.
    public static func from(_ error: any Error) -> LedgerError {
        switch error {
        case let error as LedgerError: error
        case let error as CryptoError: .usage(error.description)
        case let error as CoreError: .usage(error.description)
        case let error as StoreError: .usage(error.description)
        case let error as JSONError: .usage(error.description)
        case let error as EntryFormatError: .usage(error.description)
        default: .usage("\(error)")
        }
    }
}
