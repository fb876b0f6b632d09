import LedgerCrypto

/// RFC 9162 §2.1.1 Merkle tree hashing (identical to RFC 6962 §2.1).
public enum Merkle {
    /// The root of the empty tree: SHA-256 of the empty string.
    public static let emptyRoot: [UInt8] = SHA256.hash([UInt8]())

    /// Leaf hash: SHA-256(0x00 ‖ leaf).
    public static func leafHash(_ leaf: [UInt8]) -> [UInt8] {
        let digest = StreamingDigest(.sha256)
        digest.update([UInt8(0)])
        digest.update(leaf)
        return digest.finalize()
    }

    /// Interior node hash: SHA-256(0x01 ‖ left ‖ right).
    public static func nodeHash(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
        var buffer = [UInt8]()
        buffer.reserveCapacity(65)
        buffer.append(1)
        buffer.append(contentsOf: left)
        buffer.append(contentsOf: right)
        return SHA256.hash(buffer)
    }

    /// Where the hashes of the perfect subtrees that make up the tree of `size` leaves are stored, left to right.
    ///
    /// The tree of size n is the left-to-right sequence of perfect subtrees given by the set bits of n. A perfect
    /// subtree of height h ending at leaf index i is stored with seq i + 1 at `level` h (level 0: the leaf hash).
    public static func subtreeLocations(size: Int64) -> [(seq: Int64, level: Int)] {
        precondition(size >= 0)
        var locations: [(seq: Int64, level: Int)] = []
        var start: Int64 = 0
        var level = 63
        while level >= 0 {
            let width = Int64(1) << level
            if size & width != 0 {
                locations.append((seq: start + width, level: level))
                start += width
            }
            level -= 1
        }
        return locations
    }

    /// Combines perfect-subtree hashes, largest (leftmost) first, into the tree's root (RFC 9162 §2.1.1).
    public static func root(ofSubtrees hashes: [[UInt8]]) -> [UInt8] {
        guard var root = hashes.last else { return emptyRoot }
        for hash in hashes.dropLast().reversed() { root = nodeHash(hash, root) }
        return root
    }
}

/// The compact range of a growing tree: the perfect subtrees covering leaves 0..<size, from which the root
/// of the current size follows in O(log n).
public struct MerkleAccumulator: Sendable {
    /// Number of leaves appended.
    public private(set) var size: Int64 = 0
    private var subtrees: [[UInt8]] = []

    /// An empty accumulator.
    public init() {}

    /// An accumulator for a tree of `size` leaves, given its perfect subtrees' hashes, largest first
    /// (as ``Merkle/subtreeLocations(size:)`` lists them).
    public init(size: Int64, subtrees: [[UInt8]]) {
        precondition(subtrees.count == size.nonzeroBitCount, "one subtree per set bit of the size")
        self.size = size
        self.subtrees = subtrees
    }

    /// Appends a leaf hash and returns the interior nodes this leaf completes, level 1 first.
    ///
    /// Leaf index i completes one node per trailing zero bit of i + 1 (FORMAT.md §8).
    @discardableResult
    public mutating func append(leafHash: [UInt8]) -> [[UInt8]] {
        var node = leafHash
        var completed: [[UInt8]] = []
        var level = 0
        while (size >> level) & 1 == 1 {
            // Invariant: subtrees holds one hash per set bit of size, largest first.
            node = Merkle.nodeHash(subtrees.removeLast(), node)
            completed.append(node)
            level += 1
        }
        subtrees.append(node)
        size += 1
        return completed
    }

    /// The root of the tree of the current size.
    public var root: [UInt8] { Merkle.root(ofSubtrees: subtrees) }
}
