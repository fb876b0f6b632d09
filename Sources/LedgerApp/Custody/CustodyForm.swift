import CustodyDomain
import LedgerCore

/// An item's custody chain as a paper chain-of-custody form lists it: one row per event, who released and who
/// received the item (and who witnessed), every action's particulars, the time of the act beside the time it was
/// recorded, and a legend of every person named.
///
/// The command line prints it to the terminal's width; a server hands the same rows to its pages.
public struct CustodyForm: Sendable {
    /// One row of the form.
    public struct Row: Sendable {
        /// The entry's seq.
        public let seq: Int64
        /// When the ledger recorded it (UTC, the entry's `time`).
        public let recorded: String
        /// When the act happened, as the person stated it (`occurred_at`), if stated.
        public let act: String?
        /// The action in words, such as `seized`, `released`, `received`, `checked out` or `disposed`.
        public let action: String
        /// The person who recorded it (the actor).
        public let actor: String
        /// The person who gave the item up (a release, a check-out, a disposal), or the sender of a receipt.
        public let releasedBy: String?
        /// The person who took the item (a seizure, a receipt, a check-in), or the named recipient (`→ erin`).
        public let receivedBy: String?
        /// The witnessing officer who co-signed, if any.
        public let witness: String?
        /// Everything else the entry says, each a short phrase: "seal SEAL-0001 intact", "purpose Imaging".
        public let particulars: [String]
    }

    /// A person the form names.
    public struct Person: Sendable {
        /// The person id.
        public let id: String
        /// Their name as their newest registration gives it ("" when unknown).
        public let name: String
        /// Their agency as their newest registration gives it ("" when unknown).
        public let agency: String
    }

    /// The item.
    public let item: ItemRecord
    /// The rows, in seq order.
    public let rows: [Row]
    /// Every person named in the rows (actors, senders, recipients, examiners, witnesses), by id.
    public let people: [Person]
    /// True when some row has a witness (the form then has a witness column).
    public var hasWitnesses: Bool { rows.contains { $0.witness != nil } }

    /// The form of item `id`, or nil when there is no such item; reads the item's entries for their full data.
    public static func load(_ id: String, in store: any LedgerStore) throws -> CustodyForm? {
        guard let (item, steps) = try CustodyQueries.item(id, in: store) else { return nil }
        return try store.read { reader in
            var bodies: [Int64: EntryBody] = [:]
            for step in steps {
                try reader.forEachRecord(RecordFilter(from: step.seq, to: step.seq, withStoredState: false)) {
                    bodies[step.seq] = try? EntryBody.parse(record: $0.record)
                    return false
                }
            }
            return try build(item: item, steps: steps, bodies: bodies) { id in
                try reader.projectionState(.people, key: id).flatMap { try? PersonRecord(state: $0) }
            }
        }
    }

    /// The form of `item` from its custody steps, the bodies of their entries by seq, and the people it names
    /// (`person` looks one up): what a client of a server builds from what the server sends.
    public static func build(
        item: ItemRecord, steps: [CustodyStep], bodies: [Int64: EntryBody],
        person: (String) throws -> PersonRecord?
    ) rethrows -> CustodyForm {
        let form = CustodyForm(item: item, steps: steps, bodies: bodies)
        var people: [Person] = []
        for id in form.personIDs {
            let record = try person(id)
            people.append(Person(id: id, name: record?.name ?? "", agency: record?.agency ?? ""))
        }
        return CustodyForm(item: item, rows: form.rows, people: people)
    }

    init(item: ItemRecord, rows: [Row], people: [Person]) {
        self.item = item
        self.rows = rows
        self.people = people
    }

    /// The form built from the item's custody steps and the entries' bodies by seq.
    init(item: ItemRecord, steps: [CustodyStep], bodies: [Int64: EntryBody]) {
        self.item = item
        self.people = []
        var rows: [Row] = []
        for step in steps {
            rows.append(Self.row(step, body: bodies[step.seq], earlier: bodies))
        }
        self.rows = rows
    }

    /// Every person id the rows name, sorted.
    var personIDs: [String] {
        var ids = Set<String>()
        for row in rows {
            for name in [row.actor, row.releasedBy, row.receivedBy, row.witness].compactMap({ $0 }) {
                ids.insert(name.hasPrefix("→ ") ? String(name.dropFirst(2)) : name)
            }
        }
        return ids.sorted()
    }

    private static func row(_ step: CustodyStep, body: EntryBody?, earlier: [Int64: EntryBody]) -> Row {
        let data = body?.data ?? .object([])
        let details = step.details
        func text(_ name: String) -> String? { data.member(name)?.stringValue ?? details.member(name)?.stringValue }
        var particulars: [String] = []
        func add(_ phrase: String?) { if let phrase, !phrase.isEmpty { particulars.append(phrase) } }
        var releasedBy: String?
        var receivedBy: String?
        let witness = details.member("witness")?.stringValue
        let by = step.by
        let action: String
        switch step.type {
        case CustodyEvents.itemSeized:
            action = "seized"
            receivedBy = by
            add(text("seal").map { "seal \($0) applied" } ?? "unsealed")
            add(text("location").map { "kept at \($0)" })
            add(text("seized_from").map { "seized from \($0)" })
            add(text("legal_authority").map { "authority \($0)" })
            add(text("device_state").map { "state \($0)" })
            add(data.member("photos")?.arrayValue.map { "\($0.count) photo(s) hashed" })
        case CustodyEvents.itemAcquired:
            action = "imaged"
            add("by \(by)")
            add([text("tool"), text("tool_version")].compactMap { $0 }.joined(separator: " "))
            add(details.member("verified") == .bool(true) ? "verification matched" : "verification DID NOT match")
            for alg in ["sha256", "sha1", "md5"] {
                add(details.member("source_" + alg)?.stringValue.map { "source \(alg) \($0)" })
            }
            add(data.member("images")?.arrayValue.map { "\($0.count) image file(s)" })
            add(text("write_blocker").map { "write blocker \($0)" })
            add(text("notes"))
        case CustodyEvents.custodyReleased:
            action = "released"
            releasedBy = by
            receivedBy = text("to").map { "→ \($0)" }
            add(text("purpose").map { "purpose \($0)" })
            add(text("seal").map { "seal \($0)" } ?? "unsealed")
            add(
                [text("courier"), text("tracking")].compactMap { $0 }.joined(separator: " ").nonEmpty.map {
                    "courier \($0)"
                })
        case CustodyEvents.custodyReceived:
            action = "received"
            releasedBy = details.member("from")?.stringValue
            receivedBy = by
            let seal = text("seal") ?? "none"
            switch details.member("seal_check")?.stringValue {
            case "intact": add("seal \(seal) intact")
            case "mismatch": add("seal \(seal) recorded intact but NOT the seal released (custody exception)")
            default: add("seal \(seal) BROKEN, missing or different")
            }
            add(text("condition").map { "condition \($0)" })
            add(text("location").map { "kept at \($0)" })
        case CustodyEvents.custodyReleaseCancelled:
            action = "release cancelled"
            receivedBy = by
            add(text("reason"))
        case CustodyEvents.custodyReceiptRefused:
            action = "refused"
            releasedBy = by
            receivedBy = details.member("to")?.stringValue.map { "→ \($0)" }
            add(text("reason").map { "reason \($0)" })
        case CustodyEvents.custodyLost:
            action = "LOST"
            add("by \(by)")
            add(text("details"))
        case CustodyEvents.custodyReassigned:
            action = "reassigned"
            releasedBy = details.member("from")?.stringValue
            receivedBy = details.member("to")?.stringValue.map {
                details.member("role")?.stringValue == "recipient" ? "→ \($0)" : $0
            }
            add("by \(by)")
            add(text("reason").map { "reason \($0)" })
        case CustodyEvents.itemCheckedOut:
            action = "checked out"
            releasedBy = by
            receivedBy = text("to")
            add(text("purpose").map { "purpose \($0)" })
            add(text("due").map { "due back \($0)" })
        case CustodyEvents.itemCheckedIn:
            action = "checked in"
            receivedBy = by
            add(text("condition").map { "condition \($0)" })
            add(text("location").map { "kept at \($0)" })
        case CustodyEvents.itemStored:
            action = "stored"
            add("by \(by)")
            add(text("location").map { "kept at \($0)" })
        case CustodyEvents.itemSealed:
            action = "sealed"
            add("by \(by)")
            add(text("seal").map { "seal \($0) applied" })
            add(text("reason"))
        case CustodyEvents.itemUnsealed:
            action = "unsealed"
            add("by \(by)")
            add(text("seal").map { "seal \($0) broken on purpose" })
            add(text("reason"))
        case CustodyEvents.itemExamined:
            action = "examined"
            add("by \(by)")
            add(text("report_reference").map { "report \($0)" })
            add(text("summary"))
        case CustodyEvents.itemDisposed:
            action = "disposed"
            releasedBy = by
            add(text("method").map { "method \($0)" })
            add(text("authority").map { "authority \($0)" })
            add(text("recipient_reference").map { "recipient ref \($0)" })
            add(text("details"))
        case CustodyEvents.entryCorrected:
            action = "corrected"
            add("by \(by)")
            let target = data.member("corrects")?.integerValue ?? 0
            let field = text("field") ?? "?"
            let old = earlier[target]?.data.member(field)?.stringValue
            add("seq \(target) \(field): \"\(old ?? "?")\" → \"\(text("value") ?? "")\"")
            add(text("reason").map { "reason \($0)" })
        case CustodyEvents.noteAdded:
            action = "note"
            add("by \(by)")
            add(text("text"))
        default:
            action = String(step.type.split(separator: ".").last ?? "")
            add("by \(by)")
        }
        if let body, body.isStatement, let delay = StatementTimes.delay(signedAt: body.signedAt, recorded: body.time) {
            add("signed \(body.signedAt), \(delay) before it was recorded")
        }
        return Row(
            seq: step.seq, recorded: step.time, act: text("occurred_at"), action: action, actor: by,
            releasedBy: releasedBy,
            receivedBy: receivedBy, witness: witness, particulars: particulars)
    }
}

extension String {
    fileprivate var nonEmpty: String? { isEmpty ? nil : self }
}
