import LedgerCore
import LedgerCrypto

/// Builds a JSON object member by member, leaving out absent optionals.
package struct JSONObject {
    package private(set) var members: [JSONMember] = []

    package init() {}

    package mutating func set(_ name: String, _ value: String?) {
        if let value { members.append(JSONMember(name, .string(value))) }
    }
    package mutating func set(_ name: String, _ value: Int64?) {
        if let value { members.append(JSONMember(name, .integer(value))) }
    }
    package mutating func set(_ name: String, _ value: Bool) { members.append(JSONMember(name, .bool(value))) }
    package mutating func set(_ name: String, _ value: [String]) {
        members.append(JSONMember(name, .array(value.map { .string($0) })))
    }
    package mutating func set(_ name: String, _ value: JSONValue?) {
        if let value { members.append(JSONMember(name, value)) }
    }
    package mutating func set(_ name: String, counts: [String: Int64]) {
        members.append(JSONMember(name, .object(counts.map { JSONMember($0.key, .integer($0.value)) })))
    }

    package var value: JSONValue { .object(members) }
}

/// Reads a stored projection object; a missing or mistyped member is a damaged projection.
struct JSONFields {
    let value: JSONValue

    init(_ value: JSONValue) { self.value = value }

    func string(_ name: String) throws(CoreError) -> String {
        guard let text = value.member(name)?.stringValue else { throw .format("projection lacks text \(name)") }
        return text
    }
    func optionalString(_ name: String) -> String? { value.member(name)?.stringValue }
    func integer(_ name: String) throws(CoreError) -> Int64 {
        guard let number = value.member(name)?.integerValue else { throw .format("projection lacks number \(name)") }
        return number
    }
    func optionalInteger(_ name: String) -> Int64? { value.member(name)?.integerValue }
    func bool(_ name: String) -> Bool { value.member(name) == .bool(true) }
    func strings(_ name: String) -> [String] { value.member(name)?.arrayValue?.compactMap(\.stringValue) ?? [] }
    func counts(_ name: String) -> [String: Int64] {
        var result: [String: Int64] = [:]
        for member in value.member(name)?.objectMembers ?? [] { result[member.name] = member.value.integerValue ?? 0 }
        return result
    }
    func array(_ name: String) -> [JSONValue] { value.member(name)?.arrayValue ?? [] }
}

/// One entry of a stream as the projections remember it: enough to check corrections.
public struct LogRef: Sendable, Equatable {
    /// The entry's seq.
    public let seq: Int64
    /// The entry's event type.
    public let type: String
    /// The person who acted.
    public let person: String

    var json: JSONValue { .array([.integer(seq), .string(type), .string(person)]) }

    init(seq: Int64, type: String, person: String) {
        self.seq = seq
        self.type = type
        self.person = person
    }

    init?(_ json: JSONValue) {
        guard let parts = json.arrayValue, parts.count == 3, let seq = parts[0].integerValue,
            let type = parts[1].stringValue, let person = parts[2].stringValue
        else { return nil }
        self.init(seq: seq, type: type, person: person)
    }
}

/// A correction of one descriptive field, shown beside the original.
public struct Correction: Sendable, Equatable {
    /// The seq of the `entry.corrected` entry.
    public let seq: Int64
    /// The seq of the corrected entry.
    public let corrects: Int64
    /// The data member corrected.
    public let field: String
    /// Its corrected text.
    public let value: String
    /// Why, in the corrector's words.
    public let reason: String
    /// The person who corrected it.
    public let by: String

    var json: JSONValue {
        var object = JSONObject()
        object.set("by", by)
        object.set("corrects", corrects)
        object.set("field", field)
        object.set("reason", reason)
        object.set("seq", seq)
        object.set("value", value)
        return object.value
    }

    init(seq: Int64, corrects: Int64, field: String, value: String, reason: String, by: String) {
        self.seq = seq
        self.corrects = corrects
        self.field = field
        self.value = value
        self.reason = reason
        self.by = by
    }

    init(_ json: JSONValue) throws(CoreError) {
        let fields = JSONFields(json)
        self.init(
            seq: try fields.integer("seq"), corrects: try fields.integer("corrects"), field: try fields.string("field"),
            value: try fields.string("value"), reason: try fields.string("reason"), by: try fields.string("by"))
    }
}

/// A person, from the registrations of their keys (custody belongs to people, not keys).
public struct PersonRecord: Sendable, Equatable {
    /// The person id (FORMAT.md §4.1).
    public let person: String
    /// The name of their newest registration.
    public var name: String
    /// The agency of their newest registration.
    public var agency: String
    /// Each key: id, roles, revoked.
    public var keys: [(keyID: String, roles: [String], revoked: Bool)]

    /// The roles of the person's unrevoked keys.
    public var activeRoles: [String] { Array(Set(keys.filter { !$0.revoked }.flatMap(\.roles))).sorted() }
    /// True when at least one of the person's keys is unrevoked.
    public var isActive: Bool { keys.contains { !$0.revoked } }

    /// Equal when their projection states are equal.
    public static func == (lhs: PersonRecord, rhs: PersonRecord) -> Bool { lhs.json == rhs.json }

    var json: JSONValue {
        var object = JSONObject()
        object.set("agency", agency)
        object.set(
            "keys",
            JSONValue.array(
                keys.map { key in
                    var item = JSONObject()
                    item.set("key", key.keyID)
                    item.set("revoked", key.revoked)
                    item.set("roles", key.roles)
                    return item.value
                }))
        object.set("name", name)
        object.set("person", person)
        return object.value
    }

    init(person: String, name: String, agency: String) {
        self.person = person
        self.name = name
        self.agency = agency
        self.keys = []
    }

    init(_ json: JSONValue) throws(CoreError) {
        let fields = JSONFields(json)
        self.init(
            person: try fields.string("person"), name: try fields.string("name"), agency: try fields.string("agency"))
        for key in fields.array("keys") {
            let keyFields = JSONFields(key)
            keys.append((try keyFields.string("key"), keyFields.strings("roles"), keyFields.bool("revoked")))
        }
    }
}

/// Targets counted by bucket: `pending`, `taken-down`, `not-actioned`, `false-positive` (TargetStatus.bucket).
public struct TargetBuckets: Sendable, Equatable {
    /// The bucket names, in the order of `counts`.
    public static let names = ["pending", TargetStatus.takenDown, TargetStatus.notActioned, TargetStatus.falsePositive]
    // Four counts inline rather than an array: the fold moves a target between buckets at every status change,
    // and an array would be one more allocation per case, category and country.
    private var pending: Int64 = 0
    private var takenDown: Int64 = 0
    private var notActioned: Int64 = 0
    private var falsePositive: Int64 = 0

    /// Empty buckets.
    public init() {}

    private var counts: [Int64] { [pending, takenDown, notActioned, falsePositive] }

    /// The count of a bucket by name (0 for an unknown name).
    public subscript(bucket: String) -> Int64 {
        Self.names.firstIndex(of: bucket).map { counts[$0] } ?? 0
    }

    /// Every target counted.
    public var total: Int64 { pending + takenDown + notActioned + falsePositive }
    var isEmpty: Bool { pending == 0 && takenDown == 0 && notActioned == 0 && falsePositive == 0 }

    mutating func add(_ bucket: Int, _ delta: Int64) {
        switch bucket {
        case 0: pending += delta
        case 1: takenDown += delta
        case 2: notActioned += delta
        case 3: falsePositive += delta
        default: preconditionFailure("no target bucket \(bucket)")
        }
    }

    /// `{bucket: count}` for the non-zero buckets.
    var json: JSONValue {
        .object(zip(Self.names, counts).filter { $0.1 != 0 }.map { JSONMember($0.0, .integer($0.1)) })
    }

    init(_ json: JSONValue?) {
        for member in json?.objectMembers ?? [] {
            if let index = Self.names.firstIndex(of: member.name) { add(index, member.value.integerValue ?? 0) }
        }
    }

    static func index(ofStatus status: String) -> Int {
        switch status {
        case TargetStatus.takenDown: 1
        case TargetStatus.notActioned: 2
        case TargetStatus.falsePositive: 3
        default: 0
        }
    }
}

/// The figures of a case, kept up to date with every target and item event.
public struct CaseFigures: Sendable, Equatable {
    /// Targets by bucket.
    public var targets = TargetBuckets()
    /// Targets by category, then bucket.
    public var byCategory: [String: TargetBuckets] = [:]
    /// Targets by country, then bucket.
    public var byCountry: [String: TargetBuckets] = [:]
    /// Items seized, by kind.
    public var itemsByKind: [String: Int64] = [:]
    /// Items by current status.
    public var itemsByStatus: [String: Int64] = [:]

    var json: JSONValue {
        var object = JSONObject()
        object.set("by_category", JSONValue.object(byCategory.map { JSONMember($0.key, $0.value.json) }))
        object.set("by_country", JSONValue.object(byCountry.map { JSONMember($0.key, $0.value.json) }))
        object.set("items_by_kind", counts: itemsByKind)
        object.set("items_by_status", counts: itemsByStatus)
        object.set("targets", targets.json)
        return object.value
    }

    init() {}

    init(_ json: JSONValue) {
        let fields = JSONFields(json)
        targets = TargetBuckets(json.member("targets"))
        itemsByKind = fields.counts("items_by_kind")
        itemsByStatus = fields.counts("items_by_status")
        for member in json.member("by_category")?.objectMembers ?? [] {
            byCategory[member.name] = TargetBuckets(member.value)
        }
        for member in json.member("by_country")?.objectMembers ?? [] {
            byCountry[member.name] = TargetBuckets(member.value)
        }
    }

    /// Moves one target from the bucket of status `old` (nil: a new target) to that of `new`.
    mutating func moveTarget(category: String, country: String, from old: String?, to new: String) {
        let to = TargetBuckets.index(ofStatus: new)
        let from = old.map(TargetBuckets.index(ofStatus:))
        if from == to { return }
        /// Moves the target; true when the buckets are left empty (never after a consistent history).
        func move(_ buckets: inout TargetBuckets) -> Bool {
            if let from { buckets.add(from, -1) }
            buckets.add(to, 1)
            return buckets.isEmpty
        }
        _ = move(&targets)
        if move(&byCategory[category, default: TargetBuckets()]) { byCategory[category] = nil }
        if move(&byCountry[country, default: TargetBuckets()]) { byCountry[country] = nil }
    }

    mutating func moveItem(from old: String?, to new: String) {
        if let old {
            itemsByStatus[old, default: 0] -= 1
            if itemsByStatus[old] == 0 { itemsByStatus[old] = nil }
        }
        itemsByStatus[new, default: 0] += 1
    }
}

/// A case: its title, status, agencies and figures.
public struct CaseRecord: Sendable, Equatable {
    /// The case id (its stream is `case/<id>`).
    public let id: String
    /// The title given at opening.
    public var title: String
    /// `open` or `closed`.
    public var status: String
    /// The agencies taking part, in the order they joined.
    public var agencies: [String]
    /// The seq of its `case.opened`.
    public var openedSeq: Int64
    /// The ledger time of its `case.opened`.
    public var openedAt: String
    /// The seq of its `case.closed`, once closed.
    public var closedSeq: Int64?
    /// Why it closed while items were in transit or checked out (a version-2 `case.closed` `override_reason`).
    public var closeOverride: String?
    /// The operation's figures: targets and items by status, category, country and kind.
    public var figures = CaseFigures()
    /// Every entry of its stream.
    public var log: [LogRef] = []
    /// Corrections of its entries' descriptive text.
    public var corrections: [Correction] = []

    var json: JSONValue {
        var object = JSONObject()
        object.set("agencies", agencies)
        object.set("close_override", closeOverride)
        object.set("closed_seq", closedSeq)
        object.set("corrections", JSONValue.array(corrections.map(\.json)))
        object.set("figures", figures.json)
        object.set("id", id)
        object.set("log", JSONValue.array(log.map(\.json)))
        object.set("opened_at", openedAt)
        object.set("opened_seq", openedSeq)
        object.set("status", status)
        object.set("title", title)
        return object.value
    }

    init(id: String, title: String, agencies: [String], openedSeq: Int64, openedAt: String) {
        self.id = id
        self.title = title
        self.status = "open"
        self.agencies = agencies
        self.openedSeq = openedSeq
        self.openedAt = openedAt
    }

    init(_ json: JSONValue) throws(CoreError) {
        let fields = JSONFields(json)
        self.init(
            id: try fields.string("id"), title: try fields.string("title"), agencies: fields.strings("agencies"),
            openedSeq: try fields.integer("opened_seq"), openedAt: try fields.string("opened_at"))
        status = try fields.string("status")
        closedSeq = fields.optionalInteger("closed_seq")
        closeOverride = fields.optionalString("close_override")
        figures = CaseFigures(json.member("figures") ?? .null)
        log = fields.array("log").compactMap(LogRef.init)
        for correction in fields.array("corrections") { corrections.append(try Correction(correction)) }
    }
}

/// Target statuses (docs/EVENTS.md, the target state machine).
public enum TargetStatus {
    /// Recorded by `target.identified` (or an import).
    public static let identified = "identified"
    /// Confirmed malicious by `target.verified`.
    public static let verified = "verified"
    /// Found not to be malicious.
    public static let falsePositive = "false-positive"
    /// The host or registrar was notified.
    public static let notified = "notified"
    /// A takedown was requested.
    public static let takedownRequested = "takedown-requested"
    /// The takedown was confirmed.
    public static let takenDown = "taken-down"
    /// The takedown was not actioned.
    public static let notActioned = "not-actioned"
    /// Back online after a takedown.
    public static let reappeared = "reappeared"

    /// Statuses in which a takedown outcome may be recorded.
    public static let active: Set<String> = [identified, verified, notified, takedownRequested, reappeared]

    /// The bucket a status counts in for the case figures.
    public static func bucket(_ status: String) -> String {
        switch status {
        case falsePositive, takenDown, notActioned: status
        default: "pending"
        }
    }
}

/// An infrastructure target and its takedown status.
public struct TargetRecord: Sendable, Equatable {
    /// The target id (its stream is `target/<id>`).
    public let id: String
    /// The case it belongs to.
    public let caseID: String
    /// Its kind (`TargetKind` raw value).
    public let kind: String
    /// Its normalized value, unique in the case for its kind.
    public let value: String
    /// What it serves (phishing, malware, …).
    public let category: String
    /// The country it is hosted in (ISO 3166-1 alpha-2).
    public let country: String
    /// The hosting provider, if known.
    public var hostingProvider: String?
    /// The autonomous system number, if known.
    public var asn: Int64?
    /// Who reported it.
    public var source: String
    /// Its status (`TargetStatus`).
    public var status: String
    /// The method of the confirmed takedown, while taken down.
    public var method: String?
    /// The seq of its `target.identified`.
    public var identifiedSeq: Int64
    /// The seq of its latest entry.
    public var lastSeq: Int64
    /// Every entry of its stream.
    public var log: [LogRef] = []
    /// Corrections of its entries' descriptive text.
    public var corrections: [Correction] = []

    var json: JSONValue {
        var object = JSONObject()
        object.set("asn", asn)
        object.set("case", caseID)
        object.set("category", category)
        object.set("corrections", JSONValue.array(corrections.map(\.json)))
        object.set("country", country)
        object.set("hosting_provider", hostingProvider)
        object.set("id", id)
        object.set("identified_seq", identifiedSeq)
        object.set("kind", kind)
        object.set("last_seq", lastSeq)
        object.set("log", JSONValue.array(log.map(\.json)))
        object.set("method", method)
        object.set("source", source)
        object.set("status", status)
        object.set("value", value)
        return object.value
    }

    init(
        id: String, caseID: String, kind: String, value: String, category: String, country: String, source: String,
        identifiedSeq: Int64
    ) {
        self.id = id
        self.caseID = caseID
        self.kind = kind
        self.value = value
        self.category = category
        self.country = country
        self.source = source
        self.status = TargetStatus.identified
        self.identifiedSeq = identifiedSeq
        self.lastSeq = identifiedSeq
        // Room for a typical target's history (identified, notified, requested, an outcome) in one allocation.
        log.reserveCapacity(4)
    }

    init(_ json: JSONValue) throws(CoreError) {
        let fields = JSONFields(json)
        self.init(
            id: try fields.string("id"), caseID: try fields.string("case"), kind: try fields.string("kind"),
            value: try fields.string("value"), category: try fields.string("category"),
            country: try fields.string("country"), source: try fields.string("source"),
            identifiedSeq: try fields.integer("identified_seq"))
        hostingProvider = fields.optionalString("hosting_provider")
        asn = fields.optionalInteger("asn")
        status = try fields.string("status")
        method = fields.optionalString("method")
        lastSeq = try fields.integer("last_seq")
        log = fields.array("log").compactMap(LogRef.init)
        for correction in fields.array("corrections") { corrections.append(try Correction(correction)) }
    }
}

/// Item statuses (docs/EVENTS.md, the item state machine).
public enum ItemStatus {
    /// Held by its holder.
    public static let inCustody = "in-custody"
    /// Released to a named recipient, not yet received.
    public static let inTransit = "in-transit"
    /// Lent to an examiner by its holder.
    public static let checkedOut = "checked-out"
    /// Reported lost in transit: nothing more can happen to it.
    public static let lost = "lost"
    /// Disposed of: nothing more can happen to it.
    public static let disposed = "disposed"
    /// Every status, in lifecycle order.
    public static let all = [inCustody, inTransit, checkedOut, lost, disposed]
}

/// An evidence item: where it is, who holds it, its seal and its hashes.
public struct ItemRecord: Sendable, Equatable {
    /// The item id (its stream is `item/<id>`).
    public let id: String
    /// The case it was seized in.
    public let caseID: String
    /// The exhibit reference.
    public let exhibit: String
    /// What it is (laptop, phone, …).
    public let kind: String
    /// Its description as seized (corrections show beside it).
    public var description: String
    /// The serial number, if recorded.
    public var serial: String?
    /// The IMEI, if recorded.
    public var imei: String?
    /// The SIM's ICCID, if recorded.
    public var iccid: String?
    /// The device's state at seizure (on, off, locked, …), if recorded.
    public var deviceState: String?
    /// The current seal number, nil when unsealed.
    public var seal: String?
    /// Where it is kept now.
    public var location: String
    /// Its status (`ItemStatus`).
    public var status: String
    /// The person responsible for the item (while in transit: the person who released it).
    public var holder: String
    /// While in transit: the person who must receive it.
    public var pendingTo: String?
    /// While checked out: the examiner.
    public var checkedOutTo: String?
    /// The target it was seized from, if any.
    public var target: String?
    /// The item it was taken from (a disk from a laptop), if any.
    public var parent: String?
    /// When it was seized (RFC 3339, as recorded).
    public var seizedAt: String
    /// The seq of its `item.seized`.
    public var seizedSeq: Int64
    /// The seq of its latest entry.
    public var lastSeq: Int64
    /// True once a receipt reported a broken or different seal.
    public var sealIncident = false
    /// Image summaries of each acquisition: `{seq, tool, verified, images: [{name, size, sha256}]}`.
    public var acquisitions: [JSONValue] = []
    /// Number of custody-chain steps recorded.
    public var steps: Int64 = 0
    /// Every entry of its stream.
    public var log: [LogRef] = []
    /// Corrections of its entries' descriptive text.
    public var corrections: [Correction] = []

    var json: JSONValue {
        var object = JSONObject()
        object.set("acquisitions", JSONValue.array(acquisitions))
        object.set("case", caseID)
        object.set("checked_out_to", checkedOutTo)
        object.set("corrections", JSONValue.array(corrections.map(\.json)))
        object.set("description", description)
        object.set("device_state", deviceState)
        object.set("exhibit", exhibit)
        object.set("holder", holder)
        object.set("iccid", iccid)
        object.set("id", id)
        object.set("imei", imei)
        object.set("kind", kind)
        object.set("last_seq", lastSeq)
        object.set("location", location)
        object.set("log", JSONValue.array(log.map(\.json)))
        object.set("parent", parent)
        object.set("pending_to", pendingTo)
        object.set("seal", seal)
        object.set("seal_incident", sealIncident)
        object.set("seized_at", seizedAt)
        object.set("seized_seq", seizedSeq)
        object.set("serial", serial)
        object.set("status", status)
        object.set("steps", steps)
        object.set("target", target)
        return object.value
    }

    init(
        id: String, caseID: String, exhibit: String, kind: String, description: String, location: String,
        holder: String, seizedAt: String, seizedSeq: Int64
    ) {
        self.id = id
        self.caseID = caseID
        self.exhibit = exhibit
        self.kind = kind
        self.description = description
        self.location = location
        self.status = ItemStatus.inCustody
        self.holder = holder
        self.seizedAt = seizedAt
        self.seizedSeq = seizedSeq
        self.lastSeq = seizedSeq
    }

    init(_ json: JSONValue) throws(CoreError) {
        let fields = JSONFields(json)
        self.init(
            id: try fields.string("id"), caseID: try fields.string("case"), exhibit: try fields.string("exhibit"),
            kind: try fields.string("kind"), description: try fields.string("description"),
            location: try fields.string("location"), holder: try fields.string("holder"),
            seizedAt: try fields.string("seized_at"), seizedSeq: try fields.integer("seized_seq"))
        serial = fields.optionalString("serial")
        imei = fields.optionalString("imei")
        iccid = fields.optionalString("iccid")
        deviceState = fields.optionalString("device_state")
        seal = fields.optionalString("seal")
        status = try fields.string("status")
        pendingTo = fields.optionalString("pending_to")
        checkedOutTo = fields.optionalString("checked_out_to")
        target = fields.optionalString("target")
        parent = fields.optionalString("parent")
        lastSeq = try fields.integer("last_seq")
        sealIncident = fields.bool("seal_incident")
        acquisitions = fields.array("acquisitions")
        steps = try fields.integer("steps")
        log = fields.array("log").compactMap(LogRef.init)
        for correction in fields.array("corrections") { corrections.append(try Correction(correction)) }
    }
}

/// One step of an item's custody chain, as a paper custody form would list it.
public struct CustodyStep: Sendable, Equatable {
    /// The item id.
    public let item: String
    /// 1-based position in the item's chain.
    public let number: Int64
    /// The seq of the entry.
    public let seq: Int64
    /// When it was recorded (the entry's time).
    public let time: String
    /// The event type.
    public let type: String
    /// The person who acted, and their agency.
    public let by: String
    /// The agency of the person who acted, at the time.
    public let byAgency: String
    /// Type-specific facts: to, purpose, location, seal, seal_intact, seal_check, occurred_at, hashes, text.
    public let details: JSONValue

    var json: JSONValue {
        var object = JSONObject()
        object.set("by", by)
        object.set("by_agency", byAgency)
        object.set("details", details)
        object.set("item", item)
        object.set("number", number)
        object.set("seq", seq)
        object.set("time", time)
        object.set("type", type)
        return object.value
    }

    init(
        item: String, number: Int64, seq: Int64, time: String, type: String, by: String, byAgency: String,
        details: JSONValue
    ) {
        self.item = item
        self.number = number
        self.seq = seq
        self.time = time
        self.type = type
        self.by = by
        self.byAgency = byAgency
        self.details = details
    }

    init(_ json: JSONValue) throws(CoreError) {
        let fields = JSONFields(json)
        self.init(
            item: try fields.string("item"), number: try fields.integer("number"), seq: try fields.integer("seq"),
            time: try fields.string("time"), type: try fields.string("type"), by: try fields.string("by"),
            byAgency: try fields.string("by_agency"), details: json.member("details") ?? .object([]))
    }
}

extension ItemRecord {
    /// Who holds it now, as every view shows it.
    ///
    /// Nobody (nil) once it is disposed of or lost; the person who released it while it is in transit. The
    /// projection keeps ``holder`` as the last person responsible.
    public var currentHolder: String? {
        status == ItemStatus.disposed || status == ItemStatus.lost ? nil : holder
    }

    /// Where it is now, as every view shows it.
    ///
    /// Nowhere we keep it (nil) once disposed of or lost, and on its way (nil) while in transit; otherwise its
    /// storage location.
    public var currentLocation: String? {
        switch status {
        case ItemStatus.disposed, ItemStatus.lost, ItemStatus.inTransit: nil
        default: location
        }
    }

    /// Its seal as every view shows it: the number, or `unsealed` (docs/EVENTS.md §4.1).
    public var sealText: String { seal ?? "unsealed" }
}
