import Foundation
import LedgerTestSupport
import Testing

@testable import LedgerCrypto

/// The expected hex digests of one input.
struct FileDigestVector: Sendable, CustomTestStringConvertible {
    let name: String
    let input: [UInt8]
    let sha256: String
    let sha1: String
    let md5: String

    var testDescription: String { name }
}

struct FileHasherTests {
    // FIPS 180-4 / RFC 3174 / RFC 1321 known answers.
    static let vectors: [FileDigestVector] = [
        FileDigestVector(
            name: "empty", input: [],
            sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            sha1: "da39a3ee5e6b4b0d3255bfef95601890afd80709",
            md5: "d41d8cd98f00b204e9800998ecf8427e"),
        FileDigestVector(
            name: "abc", input: Array("abc".utf8),
            sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            sha1: "a9993e364706816aba3e25717850c26c9cd0d89d",
            md5: "900150983cd24fb0d6963f7d28e17f72"),
        FileDigestVector(
            name: "one million 'a'", input: [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000),
            sha256: "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
            sha1: "34aa973cd4c4daa4f61eeb2bdbad27316534016f",
            md5: "7707d6ae4e027c70eea2a935c2296f21"),
    ]

    /// A small chunk size, so that files of a few KiB cross chunk boundaries and wrap the ring.
    static let smallChunk = 1000
    /// Two buffers of `smallChunk` bytes, so the ring wraps after two chunks.
    static let small = FileHasher.Tuning(chunkSize: smallChunk, slotCount: 2)

    /// Deterministic non-repeating bytes, so a chunk read twice or out of order changes the digests.
    static func bytes(count: Int) -> [UInt8] {
        var state: UInt32 = 0x9E37_79B9
        return (0..<count).map { _ in
            state = state &* 1_664_525 &+ 1_013_904_223
            return UInt8(truncatingIfNeeded: state >> 24)
        }
    }

    static func write(_ bytes: [UInt8], in directory: TemporaryDirectory, name: String) throws -> String {
        let path = directory.path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("Known answers over a buffer", arguments: vectors)
    func knownAnswerBytes(_ vector: FileDigestVector) {
        let digests = FileHasher.hash(bytes: vector.input)
        #expect(digests.size == Int64(vector.input.count))
        #expect(Hex.encode(digests.sha256) == vector.sha256)
        #expect(Hex.encode(digests.sha1) == vector.sha1)
        #expect(Hex.encode(digests.md5) == vector.md5)
    }

    @Test("Known answers over a file", arguments: vectors)
    func knownAnswerFile(_ vector: FileDigestVector) throws {
        let directory = TemporaryDirectory()
        let path = try Self.write(vector.input, in: directory, name: "input")
        let digests = try FileHasher.hash(path: path)
        #expect(digests.size == Int64(vector.input.count))
        #expect(Hex.encode(digests.sha256) == vector.sha256)
        #expect(Hex.encode(digests.sha1) == vector.sha1)
        #expect(Hex.encode(digests.md5) == vector.md5)
    }

    @Test(
        "The pipeline matches the buffer hash around chunk boundaries and ring wrap-around",
        arguments: [0, 1, smallChunk - 1, smallChunk, smallChunk + 1, 3 * smallChunk + 7, 20 * smallChunk + 3])
    func chunkBoundaries(size: Int) throws {
        let directory = TemporaryDirectory()
        let input = Self.bytes(count: size)
        let path = try Self.write(input, in: directory, name: "input")
        let expected = FileHasher.hash(bytes: input)
        for lanes: [[DigestAlgorithm]] in [Self.small.lanes, [[.md5], [.sha1], [.sha256]], [[.sha256, .sha1, .md5]]] {
            var tuning = Self.small
            tuning.lanes = lanes
            let digests = try FileHasher.hash(path: path, tuning: tuning, progress: nil)
            #expect(digests == expected, "lanes \(lanes)")
        }
    }

    @Test("The default chunk size, just past one chunk")
    func defaultChunkSize() throws {
        let directory = TemporaryDirectory()
        let input = Self.bytes(count: FileHasher.Tuning().chunkSize + 1)
        let path = try Self.write(input, in: directory, name: "input")
        #expect(try FileHasher.hash(path: path) == FileHasher.hash(bytes: input))
    }

    @Test("Progress is reported every interval and once at the size", arguments: [0, 1, 5 * smallChunk + 1])
    func progressReachesSize(size: Int) throws {
        let directory = TemporaryDirectory()
        let path = try Self.write(Self.bytes(count: size), in: directory, name: "input")
        var tuning = Self.small
        tuning.progressInterval = 2 * Int64(Self.smallChunk)
        var seen: [Int64] = []
        let digests = try FileHasher.hash(path: path, tuning: tuning, progress: { seen.append($0) })
        #expect(digests.size == Int64(size))
        let chunks = Int64(Self.smallChunk)
        let expected: [Int64] = size > Self.smallChunk ? [2 * chunks, 4 * chunks, Int64(size)] : [Int64(size)]
        #expect(seen == expected)
    }

    @Test("A missing file is an I/O error naming the path and the reason")
    func missingFile() throws {
        let directory = TemporaryDirectory()
        let path = directory.path("no-such-image.dd")
        let error = #expect(throws: CryptoError.self) { try FileHasher.hash(path: path) }
        #expect(error == .io(""))  // errors compare by kind only
        #expect(error?.description == "cannot open \(path): No such file or directory")
    }

    @Test("A directory is an I/O error when read")
    func directoryIsNotReadable() throws {
        let directory = TemporaryDirectory()
        let error = #expect(throws: CryptoError.self) { try FileHasher.hash(path: directory.url.path) }
        #expect(error?.description == "cannot read \(directory.url.path): Is a directory")
    }
}
