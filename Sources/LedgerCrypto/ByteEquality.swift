import Foundation

extension String {
    /// True when both strings have exactly the same UTF-8 bytes.
    ///
    /// Identifiers must compare this way (FORMAT.md §2), never with `==`, which treats canonically equivalent
    /// Unicode sequences as equal. Compares contiguous storage with memcmp when it can.
    public func hasSameBytes(as other: String) -> Bool {
        let count = utf8.count
        guard count == other.utf8.count else { return false }
        let fast = utf8.withContiguousStorageIfAvailable { mine in
            other.utf8.withContiguousStorageIfAvailable { theirs in
                count == 0 || memcmp(mine.baseAddress!, theirs.baseAddress!, count) == 0
            }
        }
        if let fast = fast ?? nil { return fast }
        return utf8.elementsEqual(other.utf8)
    }
}
