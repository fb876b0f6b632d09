import LedgerCore

/// The two times of a version-2 entry, shown together (FORMAT.md §12.5).
///
/// When its statement was signed and when the ledger recorded it: an offline seizure recorded two days later must be
/// visible as such, never hidden.
public enum StatementTimes {
    /// "2 d 3 h", "5 h 12 min", "7 min": how long before `recorded` the statement was signed; nil under a minute
    /// (or when signed after it, within the allowed clock skew).
    public static func delay(signedAt: String, recorded: String) -> String? {
        guard let signed = LedgerTime.milliseconds(signedAt), let time = LedgerTime.milliseconds(recorded) else {
            return nil
        }
        let minutes = (time - signed) / 60_000
        guard minutes >= 1 else { return nil }
        let days = minutes / 1440
        let hours = minutes / 60 % 24
        if days > 0 { return hours > 0 ? "\(days) d \(hours) h" : "\(days) d" }
        if hours > 0 { return minutes % 60 > 0 ? "\(hours) h \(minutes % 60) min" : "\(hours) h" }
        return "\(minutes) min"
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
