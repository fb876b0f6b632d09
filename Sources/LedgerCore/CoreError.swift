/// An error from the pure core: malformed input or a broken rule.
public struct CoreError: Error, Sendable, CustomStringConvertible {
    enum Code: Sendable { case format, rule }

    let code: Code
    /// What is wrong, in words.
    public let description: String

    /// Text that does not follow a format (a vkey, a note, a checkpoint, a request).
    public static func format(_ why: String) -> CoreError { CoreError(code: .format, description: why) }
    /// An entry or request that breaks a ledger rule.
    public static func rule(_ why: String) -> CoreError { CoreError(code: .rule, description: why) }
}
