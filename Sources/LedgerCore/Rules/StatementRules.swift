/// The time rules of a version-2 statement (FORMAT.md §12.5), shared by the sequencer, which refuses a statement
/// that breaks them, and the verifier, which fails the ledger.
public enum StatementRules {
    /// How far a signer's clock may run ahead of the ledger's, and the ledger's behind a stream's last entry:
    /// 5 minutes.
    public static let clockSkewMilliseconds: Int64 = 300_000
    /// The longest a statement may wait to be sequenced after it was signed: 30 days (offline field work).
    public static let maxLifetimeMilliseconds: Int64 = 2_592_000_000
    /// How long a statement the tool signs may wait by default: 24 hours.
    public static let defaultLifetimeMilliseconds: Int64 = 86_400_000

    /// Checks rules 2–5 of FORMAT.md §12.5 for a version-2 entry; rule 1 (`time` never decreases) is the chain's.
    ///
    /// - Parameter previousStreamTime: the `time` of the stream's previous entry (nil for a stream's first).
    public static func checkTimes(_ entry: Entry, previousStreamTime: String?) throws {
        let body = entry.body
        guard body.isStatement else { return }
        guard let time = LedgerTime.milliseconds(body.time), let signedAt = LedgerTime.milliseconds(body.signedAt),
            let expires = LedgerTime.milliseconds(body.expires)
        else { throw CoreError.rule("a time of the statement is not YYYY-MM-DDTHH:MM:SS.sssZ") }
        let skew = clockSkewMilliseconds
        guard signedAt <= time + skew else {
            throw CoreError.rule(
                "signed_at \(body.signedAt) is more than 5 minutes after the recorded time \(body.time)"
                    + " (signed in the future)")
        }
        if let previousStreamTime, let previous = LedgerTime.milliseconds(previousStreamTime),
            signedAt < previous - skew
        {
            throw CoreError.rule(
                "signed_at \(body.signedAt) is more than 5 minutes before \(previousStreamTime), when the stream's"
                    + " previous entry was recorded (signed against a state that did not exist yet)")
        }
        guard expires >= signedAt, expires <= signedAt + maxLifetimeMilliseconds else {
            throw CoreError.rule(
                "expires \(body.expires) must be between signed_at \(body.signedAt) and 30 days after it")
        }
        guard time <= expires else {
            throw CoreError.rule("the statement expired at \(body.expires), before it was recorded at \(body.time)")
        }
        for sig in entry.sigs {
            guard let text = sig.signedAt else { continue }
            guard let coSigned = LedgerTime.milliseconds(text), coSigned >= signedAt - skew, coSigned <= time + skew
            else {
                throw CoreError.rule(
                    "the co-signature by key \(sig.key.prefix(12))… has signed_at \(text), outside 5 minutes before"
                        + " the statement's signed_at \(body.signedAt) to 5 minutes after the recorded time \(body.time)"
                )
            }
        }
    }

    /// The time a statement signed at `signedAt` expires by default: 24 hours later.
    public static func defaultExpiry(signedAt: String) -> String {
        LedgerTime.format(
            millisecondsSince1970: (LedgerTime.milliseconds(signedAt) ?? 0) + defaultLifetimeMilliseconds)
    }
}
