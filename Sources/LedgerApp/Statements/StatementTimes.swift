import LedgerCore

/// The two times of a version-2 entry, shown together (FORMAT.md §12.5).
///
/// When its statement was signed and when the ledger recorded it: an offline seizure recorded two days later must be
/// visible as such, never hidden.
public enum StatementTimes {
    /// "2 d 3 h", "5 h 12 min", "7 min": how long before `recorded` the statement was signed; nil under a minute
    /// (or when signed after it, within the allowed clock skew).
    public static func delay(signedAt: String, recorded: String) -> String? {
        LedgerTime.delay(from: signedAt, to: recorded)
    }

    /// The signing times of the version-2 statements at `seqs` (none for a version-1 ledger).
    public static func signedAt(_ seqs: [Int64], in store: any LedgerStore) throws -> [Int64: String] {
        do {
            return try store.read { reader in
                var times: [Int64: String] = [:]
                for seq in seqs {
                    try reader.forEachRecord(RecordFilter(from: seq, to: seq, withStoredState: false)) { stored in
                        if let body = try? EntryBody.parse(record: stored.record), body.isStatement {
                            times[seq] = body.signedAt
                        }
                        return false
                    }
                }
                return times
            }
        } catch {
            throw LedgerError.from(error)
        }
    }
}
