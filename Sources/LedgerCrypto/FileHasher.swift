import Dispatch
import Foundation
import LedgerConcurrency

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Digests of one file, computed in one read.
public struct FileDigests: Sendable, Equatable {
    /// The number of bytes hashed.
    public let size: Int64
    /// SHA-256 of the bytes, 32 bytes.
    public let sha256: [UInt8]
    /// SHA-1 of the bytes, 20 bytes.
    public let sha1: [UInt8]
    /// MD5 of the bytes, 16 bytes.
    public let md5: [UInt8]
}

/// Hashes evidence files with SHA-256, SHA-1 and MD5 in a single pass over their bytes.
///
/// The calling thread reads the file in large chunks into a small ring of reusable buffers; worker threads update
/// the digests, each consuming every chunk in order, so reading and the three hash functions overlap on separate
/// cores and the file is read only once.
public enum FileHasher {
    /// How the pipeline reads and splits the work; tests shrink it so small files cross chunk boundaries.
    struct Tuning {
        /// Bytes per ring buffer, filled by read(2) calls until full or the end of the file.
        var chunkSize = 4 << 20
        /// Buffers in the ring: how far the reader may run ahead of the slowest worker.
        var slotCount = 4
        /// Bytes between two progress reports.
        var progressInterval: Int64 = 64 << 20
        /// The digests each worker thread computes; MD5 is the slowest, so it gets a thread of its own.
        var lanes: [[DigestAlgorithm]] = [[.md5], [.sha1, .sha256]]
    }

    /// Reads the file at `path` once and returns its size and SHA-256, SHA-1 and MD5.
    ///
    /// `progress` (optional) is called on the calling thread, which does the reading, with the bytes read so far:
    /// about every 64 MiB and once at the end. Throws ``CryptoError/io(_:)`` naming the path and the system's reason
    /// when the file cannot be opened or read.
    public static func hash(path: String, progress: ((Int64) -> Void)? = nil) throws(CryptoError) -> FileDigests {
        try hash(path: path, tuning: Tuning(), progress: progress)
    }

    /// Same over an in-memory buffer (for tests and small inputs).
    ///
    /// Runs on the calling thread, one digest after the other.
    public static func hash(bytes: [UInt8]) -> FileDigests {
        func digest(_ algorithm: DigestAlgorithm) -> [UInt8] {
            let digest = StreamingDigest(algorithm)
            digest.update(bytes)
            return digest.finalize()
        }
        return FileDigests(size: Int64(bytes.count), sha256: digest(.sha256), sha1: digest(.sha1), md5: digest(.md5))
    }

    /// The pipeline with its tuning exposed.
    static func hash(path: String, tuning: Tuning, progress: ((Int64) -> Void)?) throws(CryptoError) -> FileDigests {
        let chunkSize = tuning.chunkSize
        let slotCount = tuning.slotCount
        precondition(chunkSize > 0 && slotCount > 0, "chunk size and slot count must be positive")
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .io("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        #if canImport(Glibc)
            _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
        #endif

        let ring = ChunkRing(chunkSize: chunkSize, slotCount: slotCount)
        defer { ring.deallocate() }
        let workers = tuning.lanes.map { Lane(algorithms: $0, slotCount: slotCount) }
        // A thread of its own for each lane: it waits for every chunk in turn.
        let digesting = workers.map { worker in Background<[[UInt8]], Never>.thread { worker.run(ring) } }

        var total: Int64 = 0
        var reported: Int64 = -1
        var failure: CryptoError?
        var chunk = 0
        while true {
            let slot = chunk % slotCount
            for worker in workers { worker.released.wait() }
            var length = 0
            do {
                length = try readFully(fd, into: ring.buffer(slot), path: path)
            } catch {
                failure = error
            }
            ring.lengths[slot] = length
            for worker in workers { worker.filled.signal() }
            if length == 0 { break }  // end of file or failure: the workers stop at this empty chunk
            total += Int64(length)
            chunk += 1
            if let progress, total - max(reported, 0) >= tuning.progressInterval {
                progress(total)
                reported = total
            }
        }
        let laneDigests = digesting.map { $0.wait() }
        if let failure { throw failure }
        if let progress, reported != total { progress(total) }

        var digests: [DigestAlgorithm: [UInt8]] = [:]
        for (worker, lane) in zip(workers, laneDigests) {
            for (algorithm, digest) in zip(worker.algorithms, lane) { digests[algorithm] = digest }
        }
        return FileDigests(
            size: total, sha256: digests[.sha256] ?? [], sha1: digests[.sha1] ?? [], md5: digests[.md5] ?? [])
    }

    /// Reads until `buffer` is full or the file ends; returns the bytes read, 0 only at the end of the file.
    private static func readFully(
        _ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, path: String
    ) throws(CryptoError) -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        var filled = 0
        while filled < buffer.count {
            let count = read(fd, base + filled, buffer.count - filled)
            if count == 0 { break }
            guard count > 0 else {
                if errno == EINTR { continue }
                throw .io("cannot read \(path): \(String(cString: strerror(errno)))")
            }
            filled += count
        }
        return filled
    }
}

/// The reusable buffers: chunk `n` of the file goes to slot `n % slotCount`.
private final class ChunkRing: @unchecked Sendable {
    // @unchecked: the reader writes a slot only after every lane released it, lanes read it only after the reader
    // published it (the lanes' semaphores order both), so no slot or length is ever accessed from two threads at once.
    let storage: UnsafeMutableRawBufferPointer
    /// The bytes in each slot; 0 marks the end of the file.
    let lengths: SlotBuffer<Int>
    let chunkSize: Int
    let slotCount: Int

    init(chunkSize: Int, slotCount: Int) {
        self.chunkSize = chunkSize
        self.slotCount = slotCount
        storage = .allocate(byteCount: chunkSize * slotCount, alignment: 4096)
        lengths = SlotBuffer(repeating: 0, count: slotCount)
    }

    /// The whole buffer of `slot`.
    func buffer(_ slot: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: storage[slot * chunkSize..<(slot + 1) * chunkSize])
    }

    /// Frees the buffers; only once every lane has finished.
    func deallocate() {
        storage.deallocate()
    }
}

/// One worker thread's digests and the semaphores that hand it every chunk in file order.
private final class Lane: Sendable {
    let algorithms: [DigestAlgorithm]
    /// Counts chunks the reader has published to this lane.
    let filled = DispatchSemaphore(value: 0)
    /// Counts slots this lane does not hold: starts at the ring size, signalled as each chunk is digested.
    let released = DispatchSemaphore(value: 0)

    init(algorithms: [DigestAlgorithm], slotCount: Int) {
        self.algorithms = algorithms
        // Signalled rather than created with the count: libdispatch traps when a semaphore is freed below its
        // initial value, which this one is whenever the reader stops with slots still held.
        for _ in 0..<slotCount { released.signal() }
    }

    /// Digests chunks in order until the empty chunk that marks the end; returns the digests, in `algorithms` order.
    func run(_ ring: ChunkRing) -> [[UInt8]] {
        let contexts = algorithms.map { StreamingDigest($0) }
        var chunk = 0
        while true {
            filled.wait()
            let slot = chunk % ring.slotCount
            let length = ring.lengths[slot]
            if length == 0 { break }
            let bytes = UnsafeRawBufferPointer(rebasing: ring.buffer(slot)[..<length])
            for context in contexts { context.update(bytes) }
            released.signal()
            chunk += 1
        }
        return contexts.map { $0.finalize() }
    }
}
