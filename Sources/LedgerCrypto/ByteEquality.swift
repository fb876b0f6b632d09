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
                compareBytes(mine, theirs, count: count) == 0
            }
        }
        if let fast = fast ?? nil { return fast }
        return utf8.elementsEqual(other.utf8)
    }

    /// True when this string's UTF-8 bytes sort before `other`'s (byte by byte; a prefix first).
    ///
    /// The order identifiers sort in (FORMAT.md §2); memcmp over contiguous storage when it can, several times
    /// faster than comparing the two UTF-8 views element by element.
    public func precedesInBytes(_ other: String) -> Bool {
        let fast = utf8.withContiguousStorageIfAvailable { mine in
            other.utf8.withContiguousStorageIfAvailable { theirs in
                let common = min(mine.count, theirs.count)
                let order = compareBytes(mine, theirs, count: common)
                return order == 0 ? mine.count < theirs.count : order < 0
            }
        }
        if let fast = fast ?? nil { return fast }
        return utf8.lexicographicallyPrecedes(other.utf8)
    }
}

/// memcmp over the first `count` bytes of both buffers: 0 when `count` is 0, where a buffer may have no address.
@inline(__always)
private func compareBytes(
    _ mine: UnsafeBufferPointer<UInt8>, _ theirs: UnsafeBufferPointer<UInt8>, count: Int
) -> Int32 {
    guard count > 0 else { return 0 }
    guard let mine = mine.baseAddress, let theirs = theirs.baseAddress else {
        preconditionFailure("a non-empty buffer has a base address")
    }
    return memcmp(mine, theirs, count)
}
