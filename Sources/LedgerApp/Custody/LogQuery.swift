import CustodyDomain
import LedgerCore

/// Which entries of the log a reader asks for: a seq range, a stream, what one person did, a period.
///
/// The command line's `ledger log` and a server's log listing use it alike. Entries come in seq order and their
/// recorded times never decrease (FORMAT.md §3.1), so a period ends the scan at its first later entry.
public struct LogQuery: Sendable {
    /// The first and last seq.
    public var from: Int64 = 1
    /// The last seq, or nil for the head.
    public var to: Int64?
    /// Only this stream.
    public var stream: String?
    /// Only entries this person signed, as actor or as co-signer (a witnessing officer): their key ids.
    public var actorKeys: Set<String>?
    /// Only entries recorded at or after this instant (milliseconds since 1970).
    public var since: Int64?
    /// Only entries recorded at or before this instant (milliseconds since 1970).
    public var until: Int64?

    /// A query for every entry.
    public init() {}

    /// The store's filter for the seq range and stream.
    public var recordFilter: RecordFilter { RecordFilter(from: from, to: to, stream: stream) }

    /// What to do with an entry: show it, skip it, or stop (it was recorded after `until`).
    public enum Verdict: Sendable { case show, skip, stop }

    /// Whether `entry` is asked for.
    public func verdict(_ entry: Entry) -> Verdict {
        if since != nil || until != nil, let time = LedgerTime.milliseconds(entry.body.time) {
            if let until, time > until { return .stop }
            if let since, time < since { return .skip }
        }
        if let actorKeys, !entry.sigs.contains(where: { actorKeys.contains($0.key) }) { return .skip }
        return .show
    }

    /// The key ids of person `id`, or a not-found error listing the people the ledger knows.
    public static func keys(ofPerson id: String, option: String = "--actor", in store: any LedgerStore) throws
        -> Set<String>
    {
        if let person = try CustodyQueries.person(id, in: store) { return Set(person.keys.map(\.keyID)) }
        try QueryFilters.checkPerson(id, option: option, in: store)
        return []
    }

    /// An instant from `--since`/`--until` text: an RFC 3339 date-time with offset, or a date `YYYY-MM-DD`
    /// (UTC), which means its first millisecond, or with `endOfDay` its last.
    public static func instant(_ text: String, option: String, endOfDay: Bool = false) throws(LedgerError) -> Int64 {
        if let time = LedgerTime.milliseconds(rfc3339: text) { return time }
        if text.utf8.count == 10, let start = LedgerTime.milliseconds(rfc3339: text + "T00:00:00Z") {
            return endOfDay ? start + 86_400_000 - 1 : start
        }
        throw .usage(
            "\(option) \(text): give a date (2024-06-01, UTC) or a date and time with offset (2024-06-01T14:05:00+02:00)"
        )
    }
}
