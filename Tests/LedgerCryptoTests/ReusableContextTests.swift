import LedgerCrypto
import Testing

/// The reusable signing and verification contexts must give exactly the one-shot results, call after call,
/// including after a failed verification.
struct ReusableContextTests {
    @Test func signerMatchesOneShotSigning() {
        let key = Ed25519PrivateKey.generate()
        let signer = Ed25519Signer(key: key)
        for index in 0..<20 {
            let message = Array("message \(index)".utf8)
            #expect(signer.sign(message) == key.sign(message))
        }
    }

    @Test func verifierKeepsWorkingAfterFailures() {
        let key = Ed25519PrivateKey.generate()
        let verifier = Ed25519Verifier(key: key.publicKey)
        for index in 0..<20 {
            let message = Array("message \(index)".utf8)
            var signature = key.sign(message)
            #expect(verifier.verify(signature: signature, message: message))
            signature[index] ^= 0x40
            #expect(!verifier.verify(signature: signature, message: message))
            #expect(!verifier.verify(signature: key.sign(message), message: message + [0]))
            #expect(!verifier.verify(signature: Array(signature.prefix(63)), message: message))
        }
    }
}
