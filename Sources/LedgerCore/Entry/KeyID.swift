import LedgerCrypto

/// Key ids (FORMAT.md §4.1): lowercase hex of the SHA-256 of the raw 32-byte Ed25519 public key.
public enum KeyID {
    /// The key id of a public key.
    public static func of(_ key: Ed25519PublicKey) -> String { of(raw: key.raw) }

    /// The key id of raw public key bytes (whether or not they are a valid key).
    public static func of(raw: [UInt8]) -> String { Hex.encode(SHA256.hash(raw)) }
}
