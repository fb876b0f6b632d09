import Foundation
import LedgerCore
import LedgerCrypto
import LedgerTestSupport
import Testing

/// The proof vectors of Tests/Vectors/merkle-rfc6962.json.
struct MerkleProofVectors: Decodable, Sendable {
    struct Inclusion: Decodable, Sendable {
        let leaf_index: Int64
        let tree_size: Int64
        let leaf_hash: String
        let root: String
        let proof: [String]
    }
    struct Consistency: Decodable, Sendable {
        let size1: Int64
        let size2: Int64
        let root1: String
        let root2: String
        let proof: [String]
    }
    let leaf_hashes: [String]
    let inclusion_proofs: [Inclusion]
    let consistency_proofs: [Consistency]

    static func load() throws -> MerkleProofVectors {
        try JSONDecoder().decode(MerkleProofVectors.self, from: try TestVectors.data("merkle-rfc6962.json"))
    }
}

/// RFC 9162 §2.1.3 and §2.1.4 proofs, written again from the RFC over plain leaf hashes: the independent
/// recomputation the generated proofs are compared with.
struct ReferenceProofs {
    let leaves: [[UInt8]]
    private var memo: [Int: [UInt8]] = [:]

    init(leaves: [[UInt8]]) { self.leaves = leaves }

    mutating func mth(_ start: Int, _ end: Int) -> [UInt8] {
        let key = start * 1_000_003 + end
        if let known = memo[key] { return known }
        let value: [UInt8]
        if end - start == 1 {
            value = leaves[start]
        } else {
            var k = 1
            while k * 2 < end - start { k *= 2 }
            value = SHA256.hash([0x01] + mth(start, start + k) + mth(start + k, end))
        }
        memo[key] = value
        return value
    }

    mutating func path(_ m: Int, _ start: Int, _ end: Int) -> [[UInt8]] {
        if end - start == 1 { return [] }
        var k = 1
        while k * 2 < end - start { k *= 2 }
        if m < k { return path(m, start, start + k) + [mth(start + k, end)] }
        return path(m - k, start + k, end) + [mth(start, start + k)]
    }

    mutating func subproof(_ m: Int, _ start: Int, _ end: Int, _ complete: Bool) -> [[UInt8]] {
        if m == end - start { return complete ? [] : [mth(start, end)] }
        var k = 1
        while k * 2 < end - start { k *= 2 }
        if m <= k { return subproof(m, start, start + k, complete) + [mth(start + k, end)] }
        return subproof(m - k, start + k, end, false) + [mth(start, start + k)]
    }
}

struct MerkleProofTests {
    static func hex(_ text: String) -> [UInt8] { Hex.decode(text) ?? [] }

    /// A subtree source over plain leaf hashes (perfect subtrees only, as a store provides them).
    static func source(_ leaves: [[UInt8]]) -> MerkleProof.SubtreeHashes {
        // Every perfect subtree, level by level, computed once.
        var levels = [leaves]
        while let last = levels.last, last.count > 1 {
            levels.append(
                stride(from: 0, to: last.count - 1, by: 2).map { SHA256.hash([0x01] + last[$0] + last[$0 + 1]) })
        }
        return { start, level in levels[level][Int(start) >> level] }
    }

    @Test func inclusionVectors() throws {
        let vectors = try MerkleProofVectors.load()
        let leaves = vectors.leaf_hashes.map(Self.hex)
        for vector in vectors.inclusion_proofs {
            let proof = vector.proof.map(Self.hex)
            let generated = try MerkleProof.inclusion(
                index: vector.leaf_index, size: vector.tree_size, subtree: Self.source(Array(leaves)))
            #expect(generated == proof, "inclusion of \(vector.leaf_index) in \(vector.tree_size)")
            #expect(
                MerkleProof.verifyInclusion(
                    index: vector.leaf_index, size: vector.tree_size, leafHash: Self.hex(vector.leaf_hash),
                    proof: proof, root: Self.hex(vector.root)))
        }
    }

    @Test func consistencyVectors() throws {
        let vectors = try MerkleProofVectors.load()
        let leaves = vectors.leaf_hashes.map(Self.hex)
        for vector in vectors.consistency_proofs {
            let proof = vector.proof.map(Self.hex)
            let generated = try MerkleProof.consistency(
                old: vector.size1, new: vector.size2, subtree: Self.source(leaves))
            #expect(generated == proof, "consistency \(vector.size1) → \(vector.size2)")
            #expect(
                MerkleProof.verifyConsistency(
                    old: vector.size1, new: vector.size2, oldRoot: Self.hex(vector.root1),
                    newRoot: Self.hex(vector.root2), proof: proof))
        }
    }

    /// Every inclusion proof of every tree of 1…300 leaves equals the reference and verifies; the same proof fails
    /// at another index, for a size without that index, truncated, extended, reordered, or against another tree's
    /// root.
    ///
    /// (A different size alone is not always detectable from the proof: the checkpoint's signature binds the size.)
    @Test func everyInclusionProofOfRandomTrees() throws {
        var generator = SplitMix64(state: 42)
        let all = (0..<300).map { _ in (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) } }
        for size in 1...300 {
            let leaves = Array(all.prefix(size))
            var reference = ReferenceProofs(leaves: leaves)
            let root = reference.mth(0, size)
            let source = Self.source(leaves)
            for index in 0..<size {
                let proof = try MerkleProof.inclusion(index: Int64(index), size: Int64(size), subtree: source)
                #expect(proof == reference.path(index, 0, size), "size \(size) index \(index)")
                let leaf = leaves[index]
                #expect(
                    MerkleProof.verifyInclusion(
                        index: Int64(index), size: Int64(size), leafHash: leaf, proof: proof, root: root))
                // The proofs that must fail: for every index of small trees, and of every 23rd larger size.
                guard size > 1, size <= 64 || size % 23 == 0 || size >= 255 else { continue }
                let other = (index + 1) % size
                #expect(
                    !MerkleProof.verifyInclusion(
                        index: Int64(other), size: Int64(size), leafHash: leaf, proof: proof, root: root))
                // A size that does not contain the index.
                #expect(
                    !MerkleProof.verifyInclusion(
                        index: Int64(index), size: Int64(index), leafHash: leaf, proof: proof, root: root))
                #expect(
                    !MerkleProof.verifyInclusion(
                        index: Int64(index), size: Int64(size), leafHash: leaf, proof: proof.dropLast(), root: root))
                #expect(
                    !MerkleProof.verifyInclusion(
                        index: Int64(index), size: Int64(size), leafHash: leaf, proof: proof + [root], root: root))
                if proof.count > 1, proof[0] != proof[1] {
                    var swapped = proof
                    swapped.swapAt(0, 1)
                    #expect(
                        !MerkleProof.verifyInclusion(
                            index: Int64(index), size: Int64(size), leafHash: leaf, proof: swapped, root: root))
                }
                #expect(
                    !MerkleProof.verifyInclusion(
                        index: Int64(index), size: Int64(size), leafHash: leaf, proof: proof,
                        root: reference.mth(0, size - 1)))
            }
        }
    }

    /// The subtrees a proof is said to read, asked for at once before it is built, are exactly the ones it reads:
    /// for every inclusion and consistency proof of trees of 1…100 leaves, and a few of a tree of 5,000,000.
    @Test func theSubtreesAProofReadsAreKnownBeforeItIsBuilt() throws {
        func reads(_ proof: (@escaping MerkleProof.SubtreeHashes) throws -> [[UInt8]]) throws -> Set<[Int64]> {
            let box = Box()
            _ = try proof { start, level in
                box.keys.insert([start, Int64(level)])
                return Merkle.leafHash([UInt8(truncatingIfNeeded: start), UInt8(level)])
            }
            return box.keys
        }
        func set(_ list: [(start: Int64, level: Int)]) -> Set<[Int64]> {
            #expect(Set(list.map { [$0.start, Int64($0.level)] }).count == list.count, "each once")
            return Set(list.map { [$0.start, Int64($0.level)] })
        }
        var cases: [(index: Int64, size: Int64)] = []
        for size in Int64(1)...100 {
            for index in 0..<size { cases.append((index, size)) }
        }
        cases += [(0, 5_000_000), (4_999_999, 5_000_000), (1_234_567, 5_000_000)]
        for (index, size) in cases {
            #expect(
                set(MerkleProof.inclusionSubtrees(index: index, size: size))
                    == (try reads { try MerkleProof.inclusion(index: index, size: size, subtree: $0) }))
            let old = index + 1
            #expect(
                set(MerkleProof.consistencySubtrees(old: old, new: size))
                    == (try reads { try MerkleProof.consistency(old: old, new: size, subtree: $0) }))
        }
    }

    private final class Box {
        var keys = Set<[Int64]>()
    }

    /// Every consistency proof between trees of 1…300 leaves equals the reference and verifies; it fails for other
    /// sizes, other roots, and truncated or extended proofs.
    @Test func everyConsistencyProofOfRandomTrees() throws {
        var generator = SplitMix64(state: 7)
        let leaves = (0..<300).map { _ in (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) } }
        var reference = ReferenceProofs(leaves: leaves)
        let source = Self.source(leaves)
        var pairs: [(Int, Int)] = []
        for new in 1...300 { for old in 1...new { pairs.append((old, new)) } }
        for (old, new) in pairs {
            let proof = try MerkleProof.consistency(old: Int64(old), new: Int64(new), subtree: source)
            if old < new { #expect(proof == reference.subproof(old, 0, new, true), "\(old) → \(new)") }
            let oldRoot = reference.mth(0, old)
            let newRoot = reference.mth(0, new)
            #expect(
                MerkleProof.verifyConsistency(
                    old: Int64(old), new: Int64(new), oldRoot: oldRoot, newRoot: newRoot, proof: proof))
            // The proofs that must fail: for every pair of small trees, and a sample of the larger ones.
            guard old < new, new <= 64 || (old * 31 + new) % 17 == 0 else { continue }
            #expect(
                !MerkleProof.verifyConsistency(
                    old: Int64(old), new: Int64(new), oldRoot: newRoot, newRoot: oldRoot, proof: proof))
            #expect(
                !MerkleProof.verifyConsistency(
                    old: Int64(old), new: Int64(new), oldRoot: oldRoot, newRoot: newRoot, proof: proof + [newRoot]))
            if !proof.isEmpty {
                #expect(
                    !MerkleProof.verifyConsistency(
                        old: Int64(old), new: Int64(new), oldRoot: oldRoot, newRoot: newRoot,
                        proof: Array(proof.dropLast())))
            }
            // Sizes the wrong way round, and a proof from the empty tree, are refused.
            #expect(
                !MerkleProof.verifyConsistency(
                    old: Int64(new), new: Int64(old), oldRoot: newRoot, newRoot: oldRoot, proof: proof))
            #expect(
                !MerkleProof.verifyConsistency(
                    old: 0, new: Int64(new), oldRoot: Merkle.emptyRoot, newRoot: newRoot, proof: proof))
        }
    }

    @Test func tlogProofTextRoundTripsAndRejectsMalformedText() throws {
        let logKey = Ed25519PrivateKey.generate()
        let leaves = (0..<5).map { Merkle.leafHash([UInt8($0)]) }
        var reference = ReferenceProofs(leaves: leaves)
        let checkpoint = try SignedCheckpoint.sign(
            Checkpoint(origin: "ledger.test.example/proof", size: 5, root: reference.mth(0, 5)), logKey: logKey)
        let hashes = try MerkleProof.inclusion(index: 3, size: 5, subtree: Self.source(leaves))
        let proof = TlogProof(index: 3, hashes: hashes, checkpoint: checkpoint)
        #expect(proof.text.hasPrefix("c2sp.org/tlog-proof@v1\nindex 3\n"))
        let parsed = try TlogProof(text: proof.text)
        #expect(parsed.index == 3 && parsed.hashes == hashes && parsed.checkpoint.noteText == checkpoint.noteText)
        let vkey = try NoteVerifierKey(name: "ledger.test.example/proof", publicKey: logKey.publicKey)
        try parsed.verify(record: [3], logKey: vkey)
        #expect(throws: CoreError.self) { try parsed.verify(record: [4], logKey: vkey) }
        let otherKey = try NoteVerifierKey(
            name: "ledger.test.example/proof", publicKey: Ed25519PrivateKey.generate().publicKey)
        #expect(throws: CoreError.self) { try parsed.verify(record: [3], logKey: otherKey) }
        for bad in [
            proof.text.replacingOccurrences(of: "tlog-proof@v1", with: "tlog-proof@v2"),
            proof.text.replacingOccurrences(of: "index 3", with: "index 03"),
            proof.text.replacingOccurrences(of: "index 3\n", with: "index 3\nnot-base64\n"),
            proof.text.replacingOccurrences(of: "\n\n", with: "\n"),
        ] {
            #expect(throws: CoreError.self) { try TlogProof(text: bad) }
        }
    }
}
