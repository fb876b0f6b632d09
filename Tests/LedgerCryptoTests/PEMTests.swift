import Foundation
import LedgerCrypto
import LedgerTestSupport
import Testing

struct PEMTests {
    static let seed: [UInt8] = Hex.decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60") ?? []

    /// Runs /usr/bin/openssl with `arguments`; returns its exit status and standard output.
    static func openssl(_ arguments: [String]) throws -> (status: Int32, output: Data) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, data)
    }

    @Test("Unencrypted PKCS#8 PEM round trip")
    func roundTripPlain() throws {
        let key = try Ed25519PrivateKey(seed: Self.seed)
        let pem = try key.pkcs8PEM()
        #expect(pem.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
        #expect(pem.hasSuffix("-----END PRIVATE KEY-----\n"))
        let read = try Ed25519PrivateKey(pkcs8PEM: pem)
        #expect(read.seed == Self.seed)
        #expect(read.publicKey == key.publicKey)
    }

    @Test("Encrypted PKCS#8 PEM round trip")
    func roundTripEncrypted() throws {
        let key = try Ed25519PrivateKey(seed: Self.seed)
        let pem = try key.pkcs8PEM(passphrase: "correct horse")
        #expect(pem.hasPrefix("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"))
        #expect(!pem.contains("BEGIN PRIVATE KEY"))
        let read = try Ed25519PrivateKey(pkcs8PEM: pem, passphrase: "correct horse")
        #expect(read.seed == Self.seed)
        #expect(read.publicKey == key.publicKey)
    }

    @Test("The written file has mode 0600 and openssl reads the same key from it", arguments: [nil, "s3cret pass"])
    func writtenFileIsPrivateAndReadable(passphrase: String?) throws {
        let directory = TemporaryDirectory()
        let path = directory.path("key.pem")
        let key = try Ed25519PrivateKey(seed: Self.seed)
        try key.write(toNewFile: path, passphrase: passphrase)

        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        let mode = try #require(attributes[.posixPermissions] as? NSNumber).intValue
        #expect(mode & 0o777 == 0o600)

        let passArguments = passphrase.map { ["-passin", "pass:\($0)"] } ?? []
        let check = try Self.openssl(["pkey", "-in", path, "-noout"] + passArguments)
        #expect(check.status == 0)
        // The public key openssl derives is ours: SubjectPublicKeyInfo DER ends with the raw 32 bytes.
        let pub = try Self.openssl(["pkey", "-in", path, "-pubout", "-outform", "DER"] + passArguments)
        #expect(pub.status == 0)
        #expect(Array(pub.output.suffix(32)) == key.publicKey.raw)

        let read = try Ed25519PrivateKey(contentsOfFile: path, passphrase: passphrase)
        #expect(read.seed == Self.seed)
    }

    @Test("openssl refuses the encrypted file with a wrong passphrase (it really is encrypted)")
    func encryptedFileNeedsPassphraseForOpenSSL() throws {
        let directory = TemporaryDirectory()
        let path = directory.path("key.pem")
        try Ed25519PrivateKey(seed: Self.seed).write(toNewFile: path, passphrase: "right")
        #expect(try Self.openssl(["pkey", "-in", path, "-noout", "-passin", "pass:wrong"]).status != 0)
    }

    @Test("A key file openssl generated is readable")
    func readsOpenSSLKey() throws {
        let directory = TemporaryDirectory()
        let path = directory.path("openssl.pem")
        #expect(try Self.openssl(["genpkey", "-algorithm", "ed25519", "-out", path]).status == 0)
        let key = try Ed25519PrivateKey(contentsOfFile: path)
        let pub = try Self.openssl(["pkey", "-in", path, "-pubout", "-outform", "DER"])
        #expect(Array(pub.output.suffix(32)) == key.publicKey.raw)
    }

    @Test("Writing over an existing file fails and leaves it untouched")
    func neverOverwrites() throws {
        let directory = TemporaryDirectory()
        let path = directory.path("key.pem")
        let original = Data("not a key, but mine\n".utf8)
        #expect(FileManager.default.createFile(atPath: path, contents: original))
        let key = try Ed25519PrivateKey(seed: Self.seed)
        #expect(throws: CryptoError.io("")) { try key.write(toNewFile: path) }
        #expect(FileManager.default.contents(atPath: path) == original)

        // And a second write of a freshly written key file fails too.
        let second = directory.path("second.pem")
        try key.write(toNewFile: second)
        let written = FileManager.default.contents(atPath: second)
        #expect(throws: CryptoError.io("")) { try Ed25519PrivateKey.generate().write(toNewFile: second) }
        #expect(FileManager.default.contents(atPath: second) == written)
    }

    @Test("An encrypted key without a passphrase is a passphrase problem", arguments: [nil, ""])
    func missingPassphrase(passphrase: String?) throws {
        let pem = try Ed25519PrivateKey(seed: Self.seed).pkcs8PEM(passphrase: "hunter2")
        let error = #expect(throws: CryptoError.self) { try Ed25519PrivateKey(pkcs8PEM: pem, passphrase: passphrase) }
        #expect(error?.isPassphraseProblem == true)
        #expect(error == CryptoError.passphraseRequired(""))
    }

    @Test("A wrong passphrase is a passphrase problem")
    func wrongPassphrase() throws {
        let pem = try Ed25519PrivateKey(seed: Self.seed).pkcs8PEM(passphrase: "hunter2")
        let error = #expect(throws: CryptoError.self) { try Ed25519PrivateKey(pkcs8PEM: pem, passphrase: "hunter3") }
        #expect(error?.isPassphraseProblem == true)
        #expect(error == CryptoError.wrongPassphrase(""))
    }

    @Test(
        "Garbage is an error, and not a passphrase problem",
        arguments: [
            "",
            "hello",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ1hsZ3v\n-----END PRIVATE KEY-----\n",
            "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n-----END PUBLIC KEY-----\n",
        ])
    func garbage(text: String) {
        let error = #expect(throws: CryptoError.self) { try Ed25519PrivateKey(pkcs8PEM: text) }
        #expect(error?.isPassphraseProblem == false)
    }

    @Test("A key of another type is refused")
    func otherKeyType() throws {
        let directory = TemporaryDirectory()
        let path = directory.path("x25519.pem")
        #expect(try Self.openssl(["genpkey", "-algorithm", "x25519", "-out", path]).status == 0)
        #expect(throws: CryptoError.invalidKey("")) { try Ed25519PrivateKey(contentsOfFile: path) }
    }

    @Test("A missing file is an I/O error")
    func missingFile() {
        let directory = TemporaryDirectory()
        #expect(throws: CryptoError.io("")) { try Ed25519PrivateKey(contentsOfFile: directory.path("absent.pem")) }
    }
}
