import CustodyDomain
import LedgerCore

/// What a custodian looks an item up by: the indexed columns (case, holder, status) narrow the rows read; the
/// facts on the item itself (seal, serial, IMEI, exhibit, description) are matched on each row read.
public struct ItemSearch: Sendable {
    /// Only this case.
    public var caseID: String?
    /// Only items this person holds (for an item in transit: the person who released it).
    public var holder: String?
    /// Only items in this status (``ItemStatus``).
    public var status: String?
    /// Only the item under this seal now, or that carried it at any hand-over (exact).
    public var seal: String?
    /// Only this serial number (exact, ignoring case).
    public var serial: String?
    /// Only this IMEI (digits compared, spaces and dashes ignored).
    public var imei: String?
    /// Only this exhibit number (exact, ignoring case).
    public var exhibit: String?
    /// Only items whose description (or a correction of it) contains this text, ignoring case.
    public var text: String?

    /// A search with no filter: every item.
    public init(
        caseID: String? = nil, holder: String? = nil, status: String? = nil, seal: String? = nil,
        serial: String? = nil, imei: String? = nil, exhibit: String? = nil, text: String? = nil
    ) {
        self.caseID = caseID
        self.holder = holder
        self.status = status
        self.seal = seal
        self.serial = serial
        self.imei = imei
        self.exhibit = exhibit
        self.text = text
    }

    var indexed: [(column: String, value: String)] {
        var filters: [(column: String, value: String)] = []
        if let caseID { filters.append(("case_id", caseID)) }
        if let holder { filters.append(("holder", holder)) }
        if let status { filters.append(("status", status)) }
        return filters
    }

    /// True when `item` (with `steps`, read only when a seal is searched) matches the facts searched for.
    func matches(_ item: ItemRecord, steps: () throws -> [CustodyStep]) rethrows -> Bool {
        if let serial, item.serial?.lowercased() != serial.lowercased() { return false }
        if let imei, item.imei.map(Self.digits) != Self.digits(imei) { return false }
        if let exhibit, item.exhibit.lowercased() != exhibit.lowercased() { return false }
        if let text {
            let needle = text.lowercased()
            let descriptions =
                [item.description] + item.corrections.filter { $0.field == "description" }.map(\.value)
            guard descriptions.contains(where: { $0.lowercased().contains(needle) }) else { return false }
        }
        if let seal, item.seal != seal {
            // A seal the item carried at a hand-over, seizure or sealing, and that was later broken.
            guard try steps().contains(where: { $0.details.member("seal")?.stringValue == seal }) else { return false }
        }
        return true
    }

    private static func digits(_ text: String) -> String { String(text.filter(\.isNumber)) }
}

/// An item in transit: who sent it, to whom, and since when (the release or the refused receipt that sent it on
/// its way).
public struct ItemInTransit: Sendable {
    /// The item.
    public let item: ItemRecord
    /// The person who sent it on its way.
    public let from: String
    /// The person who must receive it.
    public let to: String
    /// When it left (the recorded time of that step).
    public let since: String
    /// When it left, by the sender's statement (`occurred_at`), if given.
    public let occurredAt: String?
}

/// An item checked out to an examiner: since when, why, and when it is due back.
public struct ItemCheckedOut: Sendable {
    /// The item.
    public let item: ItemRecord
    /// The examiner.
    public let examiner: String
    /// When it was checked out (recorded time).
    public let since: String
    /// Why.
    public let purpose: String?
    /// When it is due back (RFC 3339), if a due date was given.
    public let due: String?
    /// True when the due date has passed.
    public let isOverdue: Bool
    /// When the examiner took it (RFC 3339), when the check-out gave that time apart from its recording.
    public var occurredAt: String? = nil
}

/// When an act happened, in the recorded time's UTC form: its own time (`occurred_at`, given with `--at`) when it
/// gave a valid one, else when it was recorded.
private func actTime(occurredAt: String?, recorded: String) -> String {
    occurredAt.flatMap { LedgerTime.milliseconds(rfc3339: $0) }.map { LedgerTime.format(millisecondsSince1970: $0) }
        ?? recorded
}

extension ItemInTransit {
    /// When it left: the release's own time when it gave one, else its recorded time (UTC).
    public var sentAt: String { actTime(occurredAt: occurredAt, recorded: since) }

    /// As `ledger items --status in-transit --json` prints it and a server sends it: `item`, `from`, `to`, `since`
    /// and `occurred_at` when given.
    public var json: JSONValue {
        var object: [JSONMember] = [
            JSONMember("item", item.jsonValue), JSONMember("from", .string(from)), JSONMember("to", .string(to)),
            JSONMember("since", .string(since)),
        ]
        if let occurredAt { object.append(JSONMember("occurred_at", .string(occurredAt))) }
        return .object(object)
    }

    /// Read back from ``json`` (a server's answer).
    public init(json: JSONValue) throws {
        guard let item = json.member("item"), let from = json.member("from")?.stringValue,
            let to = json.member("to")?.stringValue, let since = json.member("since")?.stringValue
        else { throw LedgerError(code: .store, "an item in transit without its item, from, to or since") }
        self.init(
            item: try ItemRecord(state: String(decoding: JCS.serialize(item), as: UTF8.self)), from: from, to: to,
            since: since, occurredAt: json.member("occurred_at")?.stringValue)
    }
}

extension ItemCheckedOut {
    /// Whether a check-out due back at `due` (RFC 3339) is overdue at `now` (milliseconds since 1970): every view's
    /// one rule (`ledger items --overdue`, `ledger item show`, a server's overdue view).
    public static func isOverdue(due: String?, now: Int64) -> Bool {
        due.flatMap { LedgerTime.milliseconds(rfc3339: $0) }.map { $0 < now } ?? false
    }

    /// When the examiner took it: the check-out's own time when it gave one, else its recorded time (UTC).
    public var outAt: String { actTime(occurredAt: occurredAt, recorded: since) }

    /// As `ledger items --status checked-out --json` prints it and a server sends it: `item`, `examiner`,
    /// `since`, `overdue`, and `purpose`, `due` and `occurred_at` when given.
    public var json: JSONValue {
        var object: [JSONMember] = [
            JSONMember("item", item.jsonValue), JSONMember("examiner", .string(examiner)),
            JSONMember("since", .string(since)), JSONMember("overdue", .bool(isOverdue)),
        ]
        if let purpose { object.append(JSONMember("purpose", .string(purpose))) }
        if let due { object.append(JSONMember("due", .string(due))) }
        if let occurredAt { object.append(JSONMember("occurred_at", .string(occurredAt))) }
        return .object(object)
    }

    /// Read back from ``json`` (a server's answer).
    public init(json: JSONValue) throws {
        guard let item = json.member("item"), let examiner = json.member("examiner")?.stringValue,
            let since = json.member("since")?.stringValue, case .bool(let overdue)? = json.member("overdue")
        else { throw LedgerError(code: .store, "a checked-out item without its item, examiner, since or overdue") }
        self.init(
            item: try ItemRecord(state: String(decoding: JCS.serialize(item), as: UTF8.self)), examiner: examiner,
            since: since, purpose: json.member("purpose")?.stringValue, due: json.member("due")?.stringValue,
            isOverdue: overdue, occurredAt: json.member("occurred_at")?.stringValue)
    }
}

extension CustodyQueries {
    /// Items matching `search`, by id.
    public static func items(in store: any LedgerStore, matching search: ItemSearch) throws -> [ItemRecord] {
        try store.read { reader in
            var records: [ItemRecord] = []
            try reader.forEachProjectionRow(.items, where: search.indexed) { row in
                let item = try ItemRecord(state: row.state)
                if try search.matches(item, steps: { try steps(of: item.id, in: reader) }) { records.append(item) }
                return true
            }
            return records
        }
    }

    /// Items in transit (matching `search`), the longest in transit first.
    public static func inTransit(in store: any LedgerStore, matching search: ItemSearch = ItemSearch()) throws
        -> [ItemInTransit]
    {
        try items(in: store, status: ItemStatus.inTransit, matching: search) { item, steps in
            let sent = steps.last {
                $0.type == CustodyEvents.custodyReleased || $0.type == CustodyEvents.custodyReceiptRefused
            }
            return ItemInTransit(
                item: item, from: sent?.by ?? item.holder, to: item.pendingTo ?? "", since: sent?.time ?? "",
                occurredAt: sent?.details.member("occurred_at")?.stringValue)
        }.sorted { ($0.since, $0.item.id) < ($1.since, $1.item.id) }
    }

    /// Items checked out (matching `search`), the longest out first; `now` (milliseconds since 1970) decides which
    /// are overdue.
    public static func checkedOut(
        in store: any LedgerStore, matching search: ItemSearch = ItemSearch(), now: Int64
    ) throws -> [ItemCheckedOut] {
        try items(in: store, status: ItemStatus.checkedOut, matching: search) { item, steps in
            let out = steps.last { $0.type == CustodyEvents.itemCheckedOut }
            let due = out?.details.member("due")?.stringValue
            return ItemCheckedOut(
                item: item, examiner: item.checkedOutTo ?? "", since: out?.time ?? "",
                purpose: out?.details.member("purpose")?.stringValue, due: due,
                isOverdue: ItemCheckedOut.isOverdue(due: due, now: now),
                occurredAt: out?.details.member("occurred_at")?.stringValue)
        }.sorted { ($0.since, $0.item.id) < ($1.since, $1.item.id) }
    }

    /// Each item in `status` matching `search`, with its custody steps, as `describe` makes it.
    private static func items<Found>(
        in store: any LedgerStore, status: String, matching search: ItemSearch,
        _ describe: (ItemRecord, [CustodyStep]) -> Found
    ) throws -> [Found] {
        var search = search
        search.status = status
        return try store.read { reader in
            var found: [Found] = []
            try reader.forEachProjectionRow(.items, where: search.indexed) { row in
                let item = try ItemRecord(state: row.state)
                let steps = try steps(of: item.id, in: reader)
                if search.matches(item, steps: { steps }) { found.append(describe(item, steps)) }
                return true
            }
            return found
        }
    }

    private static func steps(of item: String, in reader: any LedgerReader) throws -> [CustodyStep] {
        var steps: [CustodyStep] = []
        try reader.forEachProjectionRow(.custodySteps, where: [("item_id", item)]) { row in
            steps.append(try CustodyStep(state: row.state))
            return true
        }
        return steps
    }
}
