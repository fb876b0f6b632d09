import COpenSSL
import Foundation

/// A digest algorithm the ledger uses: SHA-256 for everything it hashes; SHA-1 and MD5 only to record the
/// hashes that forensic imaging tools report for evidence files.
public enum DigestAlgorithm: String, Sendable, CaseIterable {
    /// SHA-256, 32 bytes: the ledger's hash.
    case sha256
    /// SHA-1, 20 bytes: recorded for evidence files only.
    case sha1
    /// MD5, 16 bytes: recorded for evidence files only.
    case md5

    /// The digest length in bytes.
    public var byteCount: Int {
        switch self {
        case .sha256: 32
        case .sha1: 20
        case .md5: 16
        }
    }

    var md: OpaquePointer {
        switch self {
        case .sha256: FetchedDigests.sha256
        case .sha1: FetchedDigests.sha1
        case .md5: FetchedDigests.md5
        }
    }
}

/// Explicitly fetched digest implementations, so hashing does not repeat OpenSSL 3's implicit fetch each call.
private enum FetchedDigests {
    // Fetched once and never freed; EVP_MD objects are immutable and safe to share between threads.
    nonisolated(unsafe) static let sha256: OpaquePointer = fetch("SHA256", fallback: EVP_sha256())
    nonisolated(unsafe) static let sha1: OpaquePointer = fetch("SHA1", fallback: EVP_sha1())
    nonisolated(unsafe) static let md5: OpaquePointer = fetch("MD5", fallback: EVP_md5())

    private static func fetch(_ name: String, fallback: OpaquePointer?) -> OpaquePointer {
        if let fetched = EVP_MD_fetch(nil, name, nil) { return fetched }
        guard let fallback else { preconditionFailure("OpenSSL provides no \(name) implementation") }
        return fallback
    }
}

/// A streaming digest: feed bytes in any number of pieces, then take the result once.
///
/// Not thread-safe; use one per thread.
public final class StreamingDigest {
    /// The algorithm this digest computes.
    public let algorithm: DigestAlgorithm
    private let context: OpaquePointer
    private var finished = false

    /// Starts a new digest of `algorithm`.
    public init(_ algorithm: DigestAlgorithm) {
        guard let context = EVP_MD_CTX_new() else { preconditionFailure("EVP_MD_CTX_new failed: out of memory") }
        self.algorithm = algorithm
        self.context = context
        let ok = EVP_DigestInit_ex(context, algorithm.md, nil)
        precondition(ok == 1, "EVP_DigestInit_ex failed")
    }

    deinit { EVP_MD_CTX_free(context) }

    /// Adds bytes to the digest.
    public func update(_ bytes: UnsafeRawBufferPointer) {
        precondition(!finished, "digest already finalized")
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        let ok = EVP_DigestUpdate(context, base, bytes.count)
        precondition(ok == 1, "EVP_DigestUpdate failed")
    }

    /// Adds bytes to the digest.
    public func update<Bytes: ContiguousBytes>(_ bytes: Bytes) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Returns the digest; the object cannot be updated afterwards.
    public func finalize() -> [UInt8] {
        precondition(!finished, "digest already finalized")
        finished = true
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = EVP_DigestFinal_ex(context, &out, &length)
        precondition(ok == 1, "EVP_DigestFinal_ex failed")
        return Array(out.prefix(Int(length)))
    }
}

/// One-shot SHA-256.
public enum SHA256 {
    /// SHA-256 of `bytes`, 32 bytes.
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: 32) { buffer, count in
            var length: UInt32 = 0
            let ok = EVP_Digest(bytes.baseAddress, bytes.count, buffer.baseAddress, &length, FetchedDigests.sha256, nil)
            precondition(ok == 1 && length == 32, "EVP_Digest(SHA-256) failed")
            count = 32
        }
    }

    /// SHA-256 of `bytes`, 32 bytes (the non-generic fast path for arrays).
    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { hash($0) }
    }

    /// SHA-256 of `bytes`, 32 bytes.
    public static func hash<Bytes: ContiguousBytes>(_ bytes: Bytes) -> [UInt8] {
        bytes.withUnsafeBytes { hash($0) }
    }

    /// SHA-256 of the concatenation of `parts`, 32 bytes (no copy of the parts is made).
    public static func hash(parts: [[UInt8]]) -> [UInt8] {
        let digest = StreamingDigest(.sha256)
        for part in parts { digest.update(part) }
        return digest.finalize()
    }
}
