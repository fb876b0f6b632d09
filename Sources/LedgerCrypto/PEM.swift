import COpenSSL
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension Ed25519PrivateKey {
    /// The key as PKCS#8 PEM text: `PRIVATE KEY`, or `ENCRYPTED PRIVATE KEY` (PBES2, AES-256-CBC, scrypt-free
    /// PBKDF2 as OpenSSL chooses) when a non-empty passphrase is given.
    public func pkcs8PEM(passphrase: String? = nil) throws(CryptoError) -> String {
        guard let bio = BIO_new(BIO_s_mem()) else { throw .openSSL("BIO_new failed") }
        defer { BIO_free(bio) }
        let ok: Int32
        if let passphrase, !passphrase.isEmpty {
            var bytes = Array(passphrase.utf8)
            ok = bytes.withUnsafeMutableBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { chars in
                    PEM_write_bio_PKCS8PrivateKey(
                        bio, box.pkey, EVP_aes_256_cbc(), chars.baseAddress, Int32(chars.count), nil, nil)
                }
            }
            for index in bytes.indices { bytes[index] = 0 }
        } else {
            ok = PEM_write_bio_PKCS8PrivateKey(bio, box.pkey, nil, nil, 0, nil, nil)
        }
        guard ok == 1 else { throw .openSSL("cannot encode the private key: \(OpenSSLInfo.lastError())") }
        var pointer: UnsafeMutablePointer<CChar>?
        let length = BIO_ctrl(bio, BIO_CTRL_INFO, 0, &pointer)
        guard let pointer, length > 0 else { throw .openSSL("empty PEM output") }
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: Int(length)), as: UTF8.self)
    }

    /// Reads a PKCS#8 PEM private key, decrypting it with `passphrase` when it is encrypted.
    ///
    /// - Throws: ``CryptoError/passphraseRequired(_:)`` or ``CryptoError/wrongPassphrase(_:)`` for an encrypted key,
    ///   ``CryptoError/invalidKey(_:)`` for anything but an Ed25519 key.
    public init(pkcs8PEM pem: String, passphrase: String? = nil) throws(CryptoError) {
        let encrypted = pem.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")
        if encrypted && (passphrase ?? "").isEmpty {
            throw .passphraseRequired("the key file is encrypted; give its passphrase")
        }
        guard pem.contains("PRIVATE KEY-----") else { throw .invalidKey("not a PKCS#8 PEM private key") }
        var pemBytes = Array(pem.utf8)
        defer { for index in pemBytes.indices { pemBytes[index] = 0 } }
        // A NUL-terminated copy of the passphrase for the callback; wiped afterwards.
        var secret = Array((passphrase ?? "").utf8CString)
        defer { for index in secret.indices { secret[index] = 0 } }
        // The memory BIO borrows the PEM bytes, so it lives and is read entirely inside the closure.
        var bioFailed = false
        let pkey: OpaquePointer? = pemBytes.withUnsafeMutableBytes { pemBuffer in
            guard let bio = BIO_new_mem_buf(pemBuffer.baseAddress, Int32(pemBuffer.count)) else {
                bioFailed = true
                return nil
            }
            defer { BIO_free(bio) }
            return secret.withUnsafeMutableBufferPointer { buffer in
                PEM_read_bio_PrivateKey(bio, nil, passphraseCallback, buffer.baseAddress)
            }
        }
        if bioFailed { throw .openSSL("BIO_new_mem_buf failed") }
        guard let pkey else {
            let reason = OpenSSLInfo.lastError()
            if encrypted { throw .wrongPassphrase("wrong passphrase for the key file") }
            throw .invalidKey("cannot read the private key: \(reason)")
        }
        try self.init(pkey: pkey)
    }

    /// Writes the key as PKCS#8 PEM to a new file created with mode 0600; never overwrites an existing file.
    public func write(toNewFile path: String, passphrase: String? = nil) throws(CryptoError) {
        let pem = try pkcs8PEM(passphrase: passphrase)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            throw .io("cannot create key file \(path): \(reason)")
        }
        defer { close(fd) }
        let bytes = Array(pem.utf8)
        var written = 0
        while written < bytes.count {
            let result = bytes[written...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if result < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                unlink(path)
                throw .io("cannot write key file \(path): \(reason)")
            }
            written += result
        }
        guard fsync(fd) == 0 else {
            unlink(path)
            throw .io("cannot sync key file \(path)")
        }
    }

    /// Reads a PKCS#8 PEM private key file.
    public init(contentsOfFile path: String, passphrase: String? = nil) throws(CryptoError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .io("cannot read key file \(path)")
        }
        guard let pem = String(data: data, encoding: .utf8) else { throw .invalidKey("\(path) is not a PEM file") }
        try self.init(pkcs8PEM: pem, passphrase: passphrase)
    }
}

/// Copies the NUL-terminated passphrase passed as `userData` into OpenSSL's buffer; never prompts.
private func passphraseCallback(
    _ buffer: UnsafeMutablePointer<CChar>?, _ size: Int32, _ writing: Int32, _ userData: UnsafeMutableRawPointer?
) -> Int32 {
    guard let buffer, let userData else { return -1 }
    let secret = userData.assumingMemoryBound(to: CChar.self)
    let length = strlen(secret)
    guard length > 0, length < Int(size) else { return -1 }
    memcpy(buffer, secret, length)
    return Int32(length)
}
