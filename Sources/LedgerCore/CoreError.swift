/// An error from the pure core: malformed input or a broken rule.
///
/// Callers switch over ``code``; the ``description`` says what is wrong in words a user can act on.
public struct CoreError: Error, Sendable, CustomStringConvertible {
    /// What kind of error; new codes may be added.
    public enum Code: String, Sendable, CaseIterable {
        /// Text that does not follow a format (a vkey, a note, a checkpoint, a request, a projection row).
        case format
        /// An entry or request that breaks a rule of the type table (FORMAT.md §5, §7 rule 8).
        case rule
        /// An entry whose signers break a rule: not registered or revoked at its seq, a role that may not sign its
        /// type, or not exactly the required signers (FORMAT.md §7 rule 9).
        case signer
    }

    /// What kind of error.
    public let code: Code
    /// What is wrong, in words.
    public let description: String
    /// For ``Code/signer``: the actor holds no role that may sign the type (a refusal by role, not a key problem).
    public let refusesRole: Bool

    init(_ code: Code, _ description: String, refusesRole: Bool = false) {
        self.code = code
        self.description = description
        self.refusesRole = refusesRole
    }

    /// Text that does not follow a format (a vkey, a note, a checkpoint, a request).
    public static func format(_ why: String) -> CoreError { CoreError(.format, why) }
    /// An entry or request that breaks a ledger rule.
    public static func rule(_ why: String) -> CoreError { CoreError(.rule, why) }
    /// An entry whose signers break a rule.
    public static func signer(_ why: String) -> CoreError { CoreError(.signer, why) }
    /// An entry whose actor holds no role that may sign its type: a ``Code/signer`` error with ``refusesRole``.
    public static func role(_ why: String) -> CoreError { CoreError(.signer, why, refusesRole: true) }
}
