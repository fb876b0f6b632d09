import LedgerCrypto
import Testing

/// A digest known answer: the algorithm, a description of the input, and the expected hex digest.
struct DigestVector: Sendable, CustomTestStringConvertible {
    let algorithm: DigestAlgorithm
    let input: String
    let expected: String

    var testDescription: String { "\(algorithm.rawValue)(\"\(input)\")" }
}

struct DigestTests {
    // FIPS 180-4 / RFC 3174 / RFC 1321 known answers.
    static let shortVectors: [DigestVector] = [
        DigestVector(
            algorithm: .sha256, input: "",
            expected: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        DigestVector(
            algorithm: .sha256, input: "abc",
            expected: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        DigestVector(algorithm: .sha1, input: "", expected: "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
        DigestVector(algorithm: .sha1, input: "abc", expected: "a9993e364706816aba3e25717850c26c9cd0d89d"),
        DigestVector(algorithm: .md5, input: "", expected: "d41d8cd98f00b204e9800998ecf8427e"),
        DigestVector(algorithm: .md5, input: "abc", expected: "900150983cd24fb0d6963f7d28e17f72"),
    ]

    // The one-million-'a' answers of the same standards.
    static let millionA: [DigestAlgorithm: String] = [
        .sha256: "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
        .sha1: "34aa973cd4c4daa4f61eeb2bdbad27316534016f",
        .md5: "7707d6ae4e027c70eea2a935c2296f21",
    ]

    @Test("Short known answers, streamed in one piece", arguments: shortVectors)
    func shortKnownAnswer(_ vector: DigestVector) {
        let digest = StreamingDigest(vector.algorithm)
        digest.update(Array(vector.input.utf8))
        let result = digest.finalize()
        #expect(Hex.encode(result) == vector.expected)
        #expect(result.count == vector.algorithm.byteCount)
    }

    @Test("Short known answers, streamed byte by byte", arguments: shortVectors)
    func shortKnownAnswerBytewise(_ vector: DigestVector) {
        let digest = StreamingDigest(vector.algorithm)
        for byte in vector.input.utf8 { digest.update([byte]) }
        #expect(Hex.encode(digest.finalize()) == vector.expected)
    }

    @Test("One-shot SHA-256 matches the known answers")
    func oneShotSHA256() {
        for vector in Self.shortVectors where vector.algorithm == .sha256 {
            #expect(Hex.encode(SHA256.hash(Array(vector.input.utf8))) == vector.expected)
        }
        #expect(
            Hex.encode(SHA256.hash(parts: [Array("a".utf8), [], Array("bc".utf8)]))
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test("One million 'a' fed in uneven pieces", arguments: DigestAlgorithm.allCases)
    func millionAInUnevenPieces(_ algorithm: DigestAlgorithm) throws {
        let expected = try #require(Self.millionA[algorithm])
        let digest = StreamingDigest(algorithm)
        let total = 1_000_000
        // Piece sizes cycle through lengths that straddle every block boundary (64 bytes for all three),
        // including empty pieces, which must change nothing.
        let sizes = [1, 0, 63, 64, 65, 7, 127, 128, 129, 1000, 4096, 3, 55, 56, 57, 9999]
        var fed = 0
        var index = 0
        while fed < total {
            let size = min(sizes[index % sizes.count], total - fed)
            digest.update([UInt8](repeating: UInt8(ascii: "a"), count: size))
            fed += size
            index += 1
        }
        #expect(Hex.encode(digest.finalize()) == expected)
    }

    @Test("Byte counts")
    func byteCounts() {
        #expect(DigestAlgorithm.sha256.byteCount == 32)
        #expect(DigestAlgorithm.sha1.byteCount == 20)
        #expect(DigestAlgorithm.md5.byteCount == 16)
    }
}
