import Foundation
import LedgerCore
import LedgerCrypto
import LedgerTestSupport
import Testing

/// A straightforward recursive RFC 9162 §2.1.1 Merkle tree hash, written from the RFC and independent of
/// ``Merkle`` and ``MerkleAccumulator``: it is the reference the fast code is compared with.
enum RFC9162Reference {
    static func leafHash(_ leaf: [UInt8]) -> [UInt8] { SHA256.hash([0x00] + leaf) }

    /// MTH(D[n]) over already-hashed leaves.
    static func root(leafHashes: ArraySlice<[UInt8]>) -> [UInt8] {
        switch leafHashes.count {
        case 0: return SHA256.hash([UInt8]())
        case 1: return leafHashes[leafHashes.startIndex]
        default:
            // k is the largest power of two smaller than n.
            var k = 1
            while k * 2 < leafHashes.count { k *= 2 }
            let split = leafHashes.startIndex + k
            let left = root(leafHashes: leafHashes[..<split])
            let right = root(leafHashes: leafHashes[split...])
            return SHA256.hash([0x01] + left + right)
        }
    }

    /// MTH(D[n]) over raw leaves.
    static func root(leaves: [[UInt8]]) -> [UInt8] { root(leafHashes: ArraySlice(leaves.map(leafHash))) }
}

/// The Merkle part of Tests/Vectors/merkle-rfc6962.json.
struct MerkleVectorFile: Decodable, Sendable {
    struct Root: Decodable, Sendable {
        let tree_size: Int
        let root: String
    }
    struct Levels: Decodable, Sendable {
        let levels: [[String]]
    }
    struct HasherCheck: Decodable, Sendable {
        let op: String
        let input_hex: String?
        let left_hex: String?
        let right_hex: String?
        let expect: String
    }

    let leaves_hex: [String]
    let leaf_hashes: [String]
    let node_hashes_by_level: Levels
    let roots: [Root]
    let hasher_checks: [HasherCheck]

    static func load() throws -> MerkleVectorFile {
        try JSONDecoder().decode(MerkleVectorFile.self, from: try TestVectors.data("merkle-rfc6962.json"))
    }
}

/// A deterministic generator (SplitMix64), so a failing property case can be reproduced.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

struct MerkleVectorTests {
    static func bytes(_ hex: String) -> [UInt8] { Hex.decode(hex) ?? [] }

    /// Stores hashes the way FORMAT.md §8 lays them out.
    ///
    /// Seq n holds its leaf hash at level 0 and the nodes its append completed at levels 1, 2 and so on.
    struct NodeStore {
        var nodes: [Int64: [[UInt8]]] = [:]
        var accumulator = MerkleAccumulator()

        mutating func append(leafHash: [UInt8]) {
            let completed = accumulator.append(leafHash: leafHash)
            nodes[accumulator.size] = [leafHash] + completed
        }

        /// The root of the tree of `size` leaves from the stored nodes alone.
        func root(size: Int64) -> [UInt8]? {
            var hashes: [[UInt8]] = []
            for location in Merkle.subtreeLocations(size: size) {
                guard let stored = nodes[location.seq], location.level < stored.count else { return nil }
                hashes.append(stored[location.level])
            }
            return Merkle.root(ofSubtrees: hashes)
        }
    }

    @Test("Leaf hashes of the eight test leaves")
    func leafHashes() throws {
        let file = try MerkleVectorFile.load()
        #expect(file.leaves_hex.count == 8)
        for (leaf, expected) in zip(file.leaves_hex, file.leaf_hashes) {
            #expect(Hex.encode(Merkle.leafHash(Self.bytes(leaf))) == expected)
            #expect(Hex.encode(RFC9162Reference.leafHash(Self.bytes(leaf))) == expected)
        }
    }

    @Test("Hasher checks: empty root, leaf and node hashes")
    func hasherChecks() throws {
        let file = try MerkleVectorFile.load()
        #expect(file.hasher_checks.count == 4)
        for check in file.hasher_checks {
            switch check.op {
            case "empty_root":
                #expect(Hex.encode(Merkle.emptyRoot) == check.expect)
                #expect(Hex.encode(MerkleAccumulator().root) == check.expect)
            case "leaf":
                #expect(Hex.encode(Merkle.leafHash(Self.bytes(check.input_hex ?? "?"))) == check.expect)
            case "node":
                let hash = Merkle.nodeHash(Self.bytes(check.left_hex ?? "?"), Self.bytes(check.right_hex ?? "?"))
                #expect(Hex.encode(hash) == check.expect)
            default:
                Issue.record("unknown hasher check \(check.op)")
            }
        }
    }

    @Test("Roots of sizes 0…8 from the accumulator and from the stored nodes")
    func roots() throws {
        let file = try MerkleVectorFile.load()
        #expect(file.roots.map(\.tree_size) == Array(0...8))
        var store = NodeStore()
        for entry in file.roots {
            if entry.tree_size > 0 {
                store.append(leafHash: Self.bytes(file.leaf_hashes[entry.tree_size - 1]))
            }
            #expect(store.accumulator.size == Int64(entry.tree_size))
            #expect(Hex.encode(store.accumulator.root) == entry.root, "accumulator, size \(entry.tree_size)")
            #expect(
                store.root(size: Int64(entry.tree_size)).map(Hex.encode) == entry.root,
                "stored, size \(entry.tree_size)")
            let reference = RFC9162Reference.root(
                leafHashes: ArraySlice(file.leaf_hashes.prefix(entry.tree_size).map(Self.bytes)))
            #expect(Hex.encode(reference) == entry.root, "reference, size \(entry.tree_size)")
        }
    }

    @Test("The nodes each append returns are the perfect subtrees ending at that leaf (FORMAT.md §8)")
    func completedNodes() throws {
        let file = try MerkleVectorFile.load()
        let levels = file.node_hashes_by_level.levels
        var accumulator = MerkleAccumulator()
        for (index, leafHash) in file.leaf_hashes.enumerated() {
            let completed = accumulator.append(leafHash: Self.bytes(leafHash))
            // Leaf index i completes one node per trailing zero bit of i + 1.
            #expect(completed.count == (index + 1).trailingZeroBitCount, "leaf \(index)")
            for (offset, node) in completed.enumerated() {
                let level = offset + 1
                let position = ((index + 1) >> level) - 1
                #expect(Hex.encode(node) == levels[level][position], "leaf \(index), level \(level)")
            }
        }
    }

    @Test("subtreeLocations lists the set bits of the size, largest first")
    func subtreeLocations() {
        #expect(Merkle.subtreeLocations(size: 0).isEmpty)
        #expect(Merkle.subtreeLocations(size: 1).map { [$0.seq, Int64($0.level)] } == [[1, 0]])
        #expect(Merkle.subtreeLocations(size: 6).map { [$0.seq, Int64($0.level)] } == [[4, 2], [6, 1]])
        #expect(Merkle.subtreeLocations(size: 7).map { [$0.seq, Int64($0.level)] } == [[4, 2], [6, 1], [7, 0]])
        #expect(Merkle.subtreeLocations(size: 8).map { [$0.seq, Int64($0.level)] } == [[8, 3]])
        #expect(Merkle.subtreeLocations(size: 13).map { [$0.seq, Int64($0.level)] } == [[8, 3], [12, 2], [13, 0]])
    }

    @Test(
        "Property: for random leaves and every size 1…300, accumulator root == stored-node root == RFC 9162",
        arguments: [UInt64(1), 2, 3, 0xC0FFEE])
    func accumulatorMatchesReference(seed: UInt64) {
        var random = SplitMix64(state: seed)
        var leafHashes: [[UInt8]] = []
        var store = NodeStore()
        for size in 1...300 {
            let length = Int.random(in: 0...40, using: &random)
            let leaf = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
            let leafHash = RFC9162Reference.leafHash(leaf)
            leafHashes.append(leafHash)
            store.append(leafHash: leafHash)
            let expected = RFC9162Reference.root(leafHashes: leafHashes[...])
            #expect(store.accumulator.root == expected, "seed \(seed), size \(size)")
            #expect(store.root(size: Int64(size)) == expected, "seed \(seed), size \(size), stored")
        }
        // Earlier sizes stay reachable from the stored nodes after the tree has grown.
        for _ in 0..<20 {
            let size = Int.random(in: 1...300, using: &random)
            #expect(store.root(size: Int64(size)) == RFC9162Reference.root(leafHashes: leafHashes[..<size]))
        }
    }

    @Test("An accumulator resumed from stored subtrees continues exactly like a live one")
    func resumedAccumulator() {
        var random = SplitMix64(state: 42)
        var store = NodeStore()
        var leafHashes: [[UInt8]] = []
        for _ in 0..<77 {
            let leafHash = RFC9162Reference.leafHash([UInt8.random(in: 0...255, using: &random)])
            leafHashes.append(leafHash)
            store.append(leafHash: leafHash)
        }
        let subtrees = Merkle.subtreeLocations(size: 77).compactMap { store.nodes[$0.seq]?[$0.level] }
        var resumed = MerkleAccumulator(size: 77, subtrees: subtrees)
        #expect(resumed.root == store.accumulator.root)
        for _ in 0..<50 {
            let leafHash = RFC9162Reference.leafHash([UInt8.random(in: 0...255, using: &random)])
            leafHashes.append(leafHash)
            #expect(resumed.append(leafHash: leafHash) == store.accumulator.append(leafHash: leafHash))
        }
        #expect(resumed.root == RFC9162Reference.root(leafHashes: leafHashes[...]))
    }
}
