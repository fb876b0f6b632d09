import COpenSSL
import Foundation

/// Facts about the OpenSSL library the tool is running with, for reports.
public enum OpenSSLInfo {
    /// The version text of the loaded libcrypto, such as "OpenSSL 3.0.19 27 Jan 2026".
    public static var version: String {
        guard let text = OpenSSL_version(Int32(OPENSSL_VERSION)) else { return "unknown" }
        return String(cString: text)
    }

    /// The most recent OpenSSL error on this thread, as text, clearing the queue.
    static func lastError() -> String {
        var last: UInt = 0
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            last = code
        }
        guard last != 0 else { return "no OpenSSL error recorded" }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(last, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Cryptographically secure random bytes from OpenSSL's DRBG.
public enum SecureRandom {
    /// `count` random bytes.
    public static func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        let ok = RAND_bytes(&out, Int32(count))
        precondition(ok == 1, "RAND_bytes failed: \(OpenSSLInfo.lastError())")
        return out
    }

    /// A random RFC 9562 version 4 UUID in lowercase text form.
    public static func uuidV4() -> String {
        var raw = pool.take16()
        raw[6] = (raw[6] & 0x0f) | 0x40
        raw[8] = (raw[8] & 0x3f) | 0x80
        var text = [UInt8]()
        text.reserveCapacity(36)
        for (index, byte) in raw.enumerated() {
            if index == 4 || index == 6 || index == 8 || index == 10 { text.append(UInt8(ascii: "-")) }
            text.append(hexDigits[Int(byte >> 4)])
            text.append(hexDigits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Bytes drawn from the DRBG a block at a time: an append makes one id per entry, and a call to the DRBG
    /// per id costs more than the id.
    private static let pool = RandomPool()
}

/// A lock-guarded block of DRBG output, handed out 16 bytes at a time and never handed out twice.
private final class RandomPool: @unchecked Sendable {
    // @unchecked: `block` and `used` are guarded by `lock`.
    private let lock = NSLock()
    private var block = [UInt8](repeating: 0, count: 4096)
    private var used = 4096

    func take16() -> [UInt8] {
        lock.lock()
        defer { lock.unlock() }
        if used + 16 > block.count {
            let ok = RAND_bytes(&block, Int32(block.count))
            precondition(ok == 1, "RAND_bytes failed: \(OpenSSLInfo.lastError())")
            used = 0
        }
        let taken = Array(block[used..<(used + 16)])
        // Wiped once taken, so that bytes handed out do not stay behind in the block.
        for index in used..<(used + 16) { block[index] = 0 }
        used += 16
        return taken
    }
}
