import Foundation
import LedgerCore
import LedgerCrypto

/// Reading private key files for a command.
public enum KeyFiles {
    /// What went wrong with the key file `file`, naming it once (some errors name it already).
    public static func problem(_ error: any Error, file: String) -> String {
        let text = "\(error)"
        return text.hasPrefix(file) ? text : "\(file): \(text)"
    }

    /// Loads an Ed25519 private key file, decrypting it with `passphrase` when it is encrypted.
    public static func load(_ path: String, passphrase: String?) throws(LedgerError) -> Ed25519PrivateKey {
        do { return try Ed25519PrivateKey(contentsOfFile: path, passphrase: passphrase) } catch {
            throw .usage("\(path): \(error.description)")
        }
    }

    /// The key id of a key: hex SHA-256 of its raw public key.
    public static func keyID(_ key: Ed25519PublicKey) -> String { KeyID.of(key) }
}
