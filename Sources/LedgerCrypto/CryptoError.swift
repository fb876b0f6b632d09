/// An error from the OpenSSL wrapper: a bad key, a bad encoding, a wrong passphrase, an OpenSSL failure.
///
/// New kinds of failure can be added without breaking callers: match on ``code`` only through the static values.
public struct CryptoError: Error, Hashable, Sendable, CustomStringConvertible {
    enum Code: Hashable, Sendable {
        case invalidKey
        case invalidEncoding
        case passphraseRequired
        case wrongPassphrase
        case openSSL
        case io
    }

    let code: Code
    /// What went wrong, in words a user can act on.
    public let description: String

    init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }

    /// The bytes are not a usable key (wrong length, non-canonical, small order, not Ed25519).
    public static func invalidKey(_ why: String) -> CryptoError { CryptoError(.invalidKey, why) }
    /// Hex, base64 or PEM text that does not decode canonically.
    public static func invalidEncoding(_ why: String) -> CryptoError { CryptoError(.invalidEncoding, why) }
    /// The private key file is encrypted and no passphrase was given.
    public static func passphraseRequired(_ why: String) -> CryptoError { CryptoError(.passphraseRequired, why) }
    /// The passphrase does not decrypt the private key file.
    public static func wrongPassphrase(_ why: String) -> CryptoError { CryptoError(.wrongPassphrase, why) }
    /// OpenSSL reported a failure (the message carries OpenSSL's reason).
    public static func openSSL(_ why: String) -> CryptoError { CryptoError(.openSSL, why) }
    /// A file (a key file, an evidence file) could not be opened, read or written.
    public static func io(_ why: String) -> CryptoError { CryptoError(.io, why) }

    /// True when the error is a missing or wrong passphrase.
    public var isPassphraseProblem: Bool { code == .passphraseRequired || code == .wrongPassphrase }

    /// Errors are equal when they are of the same kind; the descriptions are not compared.
    public static func == (lhs: CryptoError, rhs: CryptoError) -> Bool { lhs.code == rhs.code }
    /// Hashes the kind alone, as ``==`` compares it.
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
