import COpenSSL
import Foundation

/// Owns one EVP_PKEY.
///
/// EVP_PKEY objects are immutable once built, and OpenSSL 3 allows concurrent signing and verification with one key
/// from several threads as long as each uses its own EVP_MD_CTX, which we do.
final class PKeyBox: @unchecked Sendable {
    let pkey: OpaquePointer

    init(_ pkey: OpaquePointer) { self.pkey = pkey }

    deinit { EVP_PKEY_free(pkey) }
}

/// An Ed25519 public key (RFC 8032), checked on creation.
///
/// Only canonical encodings of points outside the small-order subgroup are accepted, so a key can never make a
/// signature verify for many messages.
public struct Ed25519PublicKey: Sendable, Hashable {
    /// The raw 32-byte encoding (RFC 8032 §5.1.2).
    public let raw: [UInt8]
    let box: PKeyBox

    /// Makes a key from its raw 32 bytes.
    ///
    /// - Throws: ``CryptoError/invalidKey(_:)`` for a wrong length, a non-canonical y coordinate or a small-order point.
    public init(raw: [UInt8]) throws(CryptoError) {
        guard raw.count == 32 else { throw .invalidKey("an Ed25519 public key is 32 bytes, not \(raw.count)") }
        if let why = Ed25519PublicKey.rejection(raw) { throw .invalidKey(why) }
        let made = raw.withUnsafeBufferPointer {
            EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, $0.baseAddress, 32)
        }
        guard let made else { throw .invalidKey("OpenSSL rejects the public key: \(OpenSSLInfo.lastError())") }
        self.raw = raw
        self.box = PKeyBox(made)
    }

    /// Verifies an Ed25519 signature of `message` (RFC 8032 §5.1.7, as OpenSSL implements it: S must be below L).
    public func verify(signature: [UInt8], message: [UInt8]) -> Bool {
        guard signature.count == 64 else { return false }
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestVerifyInit(context, nil, nil, nil, box.pkey) == 1 else {
            _ = OpenSSLInfo.lastError()
            return false
        }
        let result = EVP_DigestVerify(context, signature, 64, message, message.count)
        if result != 1 { _ = OpenSSLInfo.lastError() }
        return result == 1
    }

    /// Keys are equal when their raw 32 bytes are.
    public static func == (lhs: Ed25519PublicKey, rhs: Ed25519PublicKey) -> Bool { lhs.raw == rhs.raw }
    /// Hashes the raw bytes, as ``==`` compares them.
    public func hash(into hasher: inout Hasher) { hasher.combine(raw) }

    // The y coordinates (little-endian, sign bit cleared) of the eight points of small order, and the two
    // non-canonical encodings (y = p, p + 1) of 0 and 1: y = 0, 1, p − 1, ±y8 (order 8), p, p + 1.
    private static let smallOrderY: [[UInt8]] = {
        func le(_ hex: String) -> [UInt8] { Hex.decode(hex) ?? [] }
        let ones = [UInt8](repeating: 0xff, count: 30)
        return [
            [UInt8](repeating: 0, count: 32),
            [1] + [UInt8](repeating: 0, count: 31),
            [0xec] + ones + [0x7f],
            le("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),
            le("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),
            [0xed] + ones + [0x7f],
            [0xee] + ones + [0x7f],
        ]
    }()

    /// Why `raw` is not an acceptable public key, or nil when it is.
    static func rejection(_ raw: [UInt8]) -> String? {
        var y = raw
        y[31] &= 0x7f
        if smallOrderY.contains(y) { return "the public key is a point of small order" }
        // RFC 8032 §5.1.3: decoding fails when y >= p = 2^255 - 19.
        if y[31] == 0x7f && y[1...30].allSatisfy({ $0 == 0xff }) && y[0] >= 0xed {
            return "the public key is not canonically encoded (y >= p)"
        }
        return nil
    }
}

/// An Ed25519 private key held in memory, able to sign.
public struct Ed25519PrivateKey: Sendable {
    let box: PKeyBox
    /// The matching public key.
    public let publicKey: Ed25519PublicKey

    /// Generates a new key from OpenSSL's random generator.
    public static func generate() -> Ed25519PrivateKey {
        let seed = SecureRandom.bytes(32)
        // A fresh random seed always yields a valid key; failure here means OpenSSL itself is broken.
        guard let key = try? Ed25519PrivateKey(seed: seed) else { preconditionFailure("Ed25519 key generation failed") }
        return key
    }

    /// Makes a key from its 32-byte RFC 8032 seed (the "private key" of RFC 8032 §5.1.5).
    public init(seed: [UInt8]) throws(CryptoError) {
        guard seed.count == 32 else { throw .invalidKey("an Ed25519 seed is 32 bytes, not \(seed.count)") }
        let made = seed.withUnsafeBufferPointer {
            EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nil, $0.baseAddress, 32)
        }
        guard let made else { throw .invalidKey("OpenSSL rejects the seed: \(OpenSSLInfo.lastError())") }
        try self.init(pkey: made)
    }

    init(pkey: OpaquePointer) throws(CryptoError) {
        let box = PKeyBox(pkey)
        guard EVP_PKEY_get_base_id(pkey) == EVP_PKEY_ED25519 else { throw .invalidKey("the key is not an Ed25519 key") }
        var raw = [UInt8](repeating: 0, count: 32)
        var length = 32
        guard EVP_PKEY_get_raw_public_key(pkey, &raw, &length) == 1, length == 32 else {
            throw .openSSL("cannot read the public half of the key: \(OpenSSLInfo.lastError())")
        }
        self.box = box
        self.publicKey = try Ed25519PublicKey(raw: raw)
    }

    /// The 32-byte seed.
    public var seed: [UInt8] {
        var raw = [UInt8](repeating: 0, count: 32)
        var length = 32
        let ok = EVP_PKEY_get_raw_private_key(box.pkey, &raw, &length)
        precondition(ok == 1 && length == 32, "EVP_PKEY_get_raw_private_key failed")
        return raw
    }

    /// Signs `message` (pure Ed25519, RFC 8032 §5.1.6); 64 bytes.
    public func sign(_ message: [UInt8]) -> [UInt8] {
        guard let context = EVP_MD_CTX_new() else { preconditionFailure("EVP_MD_CTX_new failed: out of memory") }
        defer { EVP_MD_CTX_free(context) }
        var signature = [UInt8](repeating: 0, count: 64)
        var length = 64
        guard EVP_DigestSignInit(context, nil, nil, nil, box.pkey) == 1,
            EVP_DigestSign(context, &signature, &length, message, message.count) == 1, length == 64
        else { preconditionFailure("Ed25519 signing failed: \(OpenSSLInfo.lastError())") }
        return signature
    }
}

/// A reusable Ed25519 verification context for one public key.
///
/// Setting up an EVP context costs a few percent of a verification, so a thread that checks many signatures by
/// the same key keeps one. Not thread-safe: use one per thread.
public final class Ed25519Verifier {
    private let context: OpaquePointer?
    private let key: Ed25519PublicKey

    /// A verifier for `key`.
    public init(key: Ed25519PublicKey) {
        self.key = key
        var context = EVP_MD_CTX_new()
        if let made = context, EVP_DigestVerifyInit(made, nil, nil, nil, key.box.pkey) != 1 {
            EVP_MD_CTX_free(made)
            _ = OpenSSLInfo.lastError()
            context = nil
        }
        self.context = context
    }

    deinit { EVP_MD_CTX_free(context) }

    /// Verifies a signature of `message` exactly as ``Ed25519PublicKey/verify(signature:message:)`` does.
    public func verify(signature: [UInt8], message: [UInt8]) -> Bool {
        guard let context else { return key.verify(signature: signature, message: message) }
        guard signature.count == 64 else { return false }
        let result = EVP_DigestVerify(context, signature, 64, message, message.count)
        if result != 1 { _ = OpenSSLInfo.lastError() }
        return result == 1
    }
}

/// A reusable Ed25519 signing context for one private key.
///
/// Not thread-safe: use one per thread.
public final class Ed25519Signer {
    private let context: OpaquePointer?
    private let key: Ed25519PrivateKey

    /// A signer for `key`.
    public init(key: Ed25519PrivateKey) {
        self.key = key
        var context = EVP_MD_CTX_new()
        if let made = context, EVP_DigestSignInit(made, nil, nil, nil, key.box.pkey) != 1 {
            EVP_MD_CTX_free(made)
            _ = OpenSSLInfo.lastError()
            context = nil
        }
        self.context = context
    }

    deinit { EVP_MD_CTX_free(context) }

    /// Signs `message`; the same signature as ``Ed25519PrivateKey/sign(_:)`` (Ed25519 is deterministic).
    public func sign(_ message: [UInt8]) -> [UInt8] {
        guard let context else { return key.sign(message) }
        var signature = [UInt8](repeating: 0, count: 64)
        var length = 64
        guard EVP_DigestSign(context, &signature, &length, message, message.count) == 1, length == 64 else {
            _ = OpenSSLInfo.lastError()
            return key.sign(message)
        }
        return signature
    }
}
