import LedgerCrypto

/// RFC 9162 §2.1.3 inclusion proofs and §2.1.4 consistency proofs: generation from subtree hashes, and
/// verification.
///
/// Generation asks a `SubtreeHashes` source for the hash of perfect subtrees only (a store keeps each one beside
/// the leaf that completes it), so a proof costs O(log² n) lookups at most and no rehashing of leaves.
public enum MerkleProof {
    /// The hash of the perfect subtree of `1 << level` leaves whose first leaf has 0-based index `start`.
    public typealias SubtreeHashes = (_ start: Int64, _ level: Int) throws -> [UInt8]

    /// The inclusion proof of leaf `index` in the tree of `size` leaves (RFC 9162 §2.1.3.1, PATH(m, D[n])).
    public static func inclusion(index: Int64, size: Int64, subtree: @escaping SubtreeHashes) throws -> [[UInt8]] {
        precondition(index >= 0 && index < size, "the leaf must be in the tree")
        return try path(index, 0, size, memoized(subtree))
    }

    /// The consistency proof from the tree of `old` leaves to the tree of `new` leaves (RFC 9162 §2.1.4.1,
    /// PROOF(m, D[n])); empty when the sizes are equal.
    public static func consistency(old: Int64, new: Int64, subtree: @escaping SubtreeHashes) throws -> [[UInt8]] {
        precondition(old > 0 && old <= new, "0 < old <= new")
        if old == new { return [] }
        return try subproof(old, 0, new, true, memoized(subtree))
    }

    /// The perfect subtrees (start leaf, level) the inclusion proof of leaf `index` in the tree of `size` leaves
    /// reads, each once: they depend on the two numbers only, so a store can be asked for all of them at once.
    public static func inclusionSubtrees(index: Int64, size: Int64) -> [(start: Int64, level: Int)] {
        subtreesRead { try inclusion(index: index, size: size, subtree: $0) }
    }

    /// The perfect subtrees the consistency proof from `old` to `new` leaves reads, each once.
    public static func consistencySubtrees(old: Int64, new: Int64) -> [(start: Int64, level: Int)] {
        subtreesRead { try consistency(old: old, new: new, subtree: $0) }
    }

    /// The subtrees `proof` asks for, found by building it over placeholder hashes.
    private static func subtreesRead(_ proof: (@escaping SubtreeHashes) throws -> [[UInt8]]) -> [(
        start: Int64, level: Int
    )] {
        let asked = SubtreesAsked()
        _ = try? proof { start, level in
            if asked.seen.insert(start &* 64 &+ Int64(level)).inserted { asked.list.append((start, level)) }
            return [UInt8](repeating: 0, count: 32)
        }
        return asked.list
    }

    /// `subtree` with every hash it returns remembered.
    ///
    /// The ranges a proof asks for are the perfect subtrees of its path and the right edges of the tree; remembering
    /// the perfect ones a right edge is built from makes a whole proof cost O(log n) lookups, and sharing one
    /// memo across many proofs of one tree (a bundle's) reads each stored subtree at most once.
    public static func memoized(_ subtree: @escaping SubtreeHashes) -> SubtreeHashes {
        let cache = SubtreeCache()
        return { start, level in
            let key = start &* 64 &+ Int64(level)
            if let known = cache.hashes[key] { return known }
            let hash = try subtree(start, level)
            cache.hashes[key] = hash
            return hash
        }
    }

    /// The hash of leaves [start, end) (MTH of that range), from perfect subtrees.
    static func rangeHash(_ start: Int64, _ end: Int64, _ subtree: SubtreeHashes) throws -> [UInt8] {
        let count = end - start
        if count & (count - 1) == 0 { return try subtree(start, count.trailingZeroBitCount) }
        let split = largestPowerOfTwo(below: count)
        return Merkle.nodeHash(try rangeHash(start, start + split, subtree), try rangeHash(start + split, end, subtree))
    }

    /// The largest power of two strictly smaller than `n` (n > 1), the RFC 9162 §2.1.1 split point.
    static func largestPowerOfTwo(below n: Int64) -> Int64 {
        Int64(1) << (63 - (n - 1).leadingZeroBitCount)
    }

    // RFC 9162 §2.1.3.1: PATH(m, D[start:end]), m relative to start.
    private static func path(_ m: Int64, _ start: Int64, _ end: Int64, _ subtree: SubtreeHashes) throws -> [[UInt8]] {
        let n = end - start
        if n == 1 { return [] }
        let k = largestPowerOfTwo(below: n)
        if m < k {
            return try path(m, start, start + k, subtree) + [try rangeHash(start + k, end, subtree)]
        }
        return try path(m - k, start + k, end, subtree) + [try rangeHash(start, start + k, subtree)]
    }

    // RFC 9162 §2.1.4.1: SUBPROOF(m, D[start:end], b).
    private static func subproof(
        _ m: Int64, _ start: Int64, _ end: Int64, _ complete: Bool, _ subtree: SubtreeHashes
    ) throws -> [[UInt8]] {
        let n = end - start
        if m == n { return complete ? [] : [try rangeHash(start, end, subtree)] }
        let k = largestPowerOfTwo(below: n)
        if m <= k {
            return try subproof(m, start, start + k, complete, subtree) + [try rangeHash(start + k, end, subtree)]
        }
        return try subproof(m - k, start + k, end, false, subtree) + [try rangeHash(start, start + k, subtree)]
    }

    /// Verifies an inclusion proof (RFC 9162 §2.1.3.2).
    public static func verifyInclusion(
        index: Int64, size: Int64, leafHash: [UInt8], proof: [[UInt8]], root: [UInt8]
    ) -> Bool {
        guard index >= 0, index < size, proof.allSatisfy({ $0.count == 32 }) else { return false }
        var fn = index
        var sn = size - 1
        var r = leafHash
        for p in proof {
            if sn == 0 { return false }
            if fn & 1 == 1 || fn == sn {
                r = Merkle.nodeHash(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                r = Merkle.nodeHash(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 && r == root
    }

    /// Verifies a consistency proof (RFC 9162 §2.1.4.2).
    public static func verifyConsistency(
        old: Int64, new: Int64, oldRoot: [UInt8], newRoot: [UInt8], proof: [[UInt8]]
    ) -> Bool {
        guard old > 0, old <= new, proof.allSatisfy({ $0.count == 32 }) else { return false }
        if old == new { return proof.isEmpty && oldRoot == newRoot }
        // Step 1: if old is a power of two, prepend the old root.
        var path = proof
        if old & (old - 1) == 0 { path.insert(oldRoot, at: 0) }
        guard !path.isEmpty else { return false }
        var fn = old - 1
        var sn = new - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = path[0]
        var sr = path[0]
        for c in path.dropFirst() {
            if sn == 0 { return false }
            if fn & 1 == 1 || fn == sn {
                fr = Merkle.nodeHash(c, fr)
                sr = Merkle.nodeHash(c, sr)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                sr = Merkle.nodeHash(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        return fr == oldRoot && sr == newRoot && sn == 0
    }
}

/// Subtree hashes already read during one proof's generation.
private final class SubtreeCache {
    var hashes: [Int64: [UInt8]] = [:]
}

private final class SubtreesAsked {
    var seen = Set<Int64>()
    var list: [(start: Int64, level: Int)] = []
}

/// A C2SP tlog-proof@v1: an entry's index, its inclusion proof and the signed checkpoint it is proven against.
public struct TlogProof: Sendable {
    /// The 0-based leaf index (seq − 1).
    public let index: Int64
    /// The inclusion proof (RFC 9162 §2.1.3): 32-byte hashes from the leaf's sibling up to the root's child.
    public let hashes: [[UInt8]]
    /// Opaque extra data, if any.
    public let extra: [UInt8]?
    /// The signed checkpoint the proof leads to; in a valid proof, ``index`` is below its tree size.
    public let checkpoint: SignedCheckpoint

    /// The first line of a proof's text.
    static let header = "c2sp.org/tlog-proof@v1"

    /// A proof as given, unchecked: ``verify(record:logKey:)`` checks it against the checkpoint.
    public init(index: Int64, hashes: [[UInt8]], extra: [UInt8]? = nil, checkpoint: SignedCheckpoint) {
        self.index = index
        self.hashes = hashes
        self.extra = extra
        self.checkpoint = checkpoint
    }

    /// The proof's text: the header, `extra` when present, `index N`, one base64 hash per line, an empty line,
    /// then the checkpoint note with its signatures.
    public var text: String {
        var lines = [Self.header]
        if let extra { lines.append("extra " + Base64.encode(extra)) }
        lines.append("index \(index)")
        lines += hashes.map(Base64.encode)
        return lines.joined(separator: "\n") + "\n\n" + checkpoint.noteText
    }

    /// Parses a proof's text strictly.
    public init(text: String) throws(CoreError) {
        guard let separator = text.firstRange(of: "\n\n") else {
            throw .format("a tlog-proof needs an empty line before its checkpoint")
        }
        let head = text[..<separator.lowerBound].split(separator: "\n", omittingEmptySubsequences: false)
        guard head.first == Substring(Self.header) else { throw .format("not a \(Self.header) proof") }
        var rest = head.dropFirst()
        var extra: [UInt8]?
        if let line = rest.first, line.hasPrefix("extra ") {
            guard let bytes = Base64.decodeCanonical(String(line.dropFirst(6))) else {
                throw .format("the extra line is not canonical base64")
            }
            extra = bytes
            rest = rest.dropFirst()
        }
        guard let indexLine = rest.first, indexLine.hasPrefix("index "),
            let index = Int64(indexLine.dropFirst(6)), index >= 0, String(index) == indexLine.dropFirst(6)
        else { throw .format("a tlog-proof needs an `index N` line (decimal, no leading zeros)") }
        var hashes: [[UInt8]] = []
        for line in rest.dropFirst() {
            guard let hash = Base64.decodeCanonical(String(line)), hash.count == 32 else {
                throw .format("proof line \"\(line.prefix(60))\" is not the base64 of a 32-byte hash")
            }
            hashes.append(hash)
        }
        let checkpointText = String(text[separator.upperBound...])
        let checkpoint: SignedCheckpoint
        do { checkpoint = try SignedCheckpoint(noteText: checkpointText) } catch {
            throw .format("the proof's checkpoint is malformed: \(error)")
        }
        self.init(index: index, hashes: hashes, extra: extra, checkpoint: checkpoint)
    }

    /// Verifies that `record` is the entry at `index` of the checkpointed tree, and that the checkpoint is signed by
    /// `logKey` for its origin.
    public func verify(record: [UInt8], logKey: NoteVerifierKey) throws(CoreError) {
        let checkpoint = self.checkpoint.checkpoint
        guard checkpoint.origin.hasSameBytes(as: logKey.name) else {
            throw .rule("the checkpoint's origin \"\(checkpoint.origin)\" is not the log key's \"\(logKey.name)\"")
        }
        guard self.checkpoint.note.isSigned(by: logKey) else {
            throw .rule("the checkpoint is not signed by the log key \(logKey.vkey)")
        }
        guard index < checkpoint.size else {
            throw .rule("index \(index) is not in a tree of size \(checkpoint.size)")
        }
        guard
            MerkleProof.verifyInclusion(
                index: index, size: checkpoint.size, leafHash: Merkle.leafHash(record), proof: hashes,
                root: checkpoint.root)
        else {
            throw .rule(
                "the inclusion proof does not lead from this entry at index \(index) to the checkpoint's root")
        }
    }
}
