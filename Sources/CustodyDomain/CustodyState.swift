import LedgerCore
import LedgerCrypto

/// A custody rule an entry breaks: refused before an append, a finding when `ledger verify` replays history.
///
/// Callers switch over ``code``; ``field`` names the data member the refusal is about, so a form can show the
/// message beside it.
public struct CustodyViolation: Error, Sendable, CustomStringConvertible {
    /// Which rule (docs/EVENTS.md §4); new codes may be added.
    public enum Code: String, Sendable, CaseIterable {
        /// The actor's key is not registered.
        case unknownActor = "unknown-actor"
        /// The event names a case that was never opened.
        case unknownCase = "unknown-case"
        /// The case is closed.
        case caseClosed = "case-closed"
        /// The case was opened before.
        case caseExists = "case-exists"
        /// The agency takes part in the case already.
        case agencyAlreadyJoined = "agency-already-joined"
        /// The event type does not apply to this kind of stream.
        case notApplicable = "not-applicable"
        /// The target was identified before.
        case targetExists = "target-exists"
        /// The target's value is invalid or not in normalized form.
        case targetValue = "target-value"
        /// The value is already another target of the case.
        case targetTaken = "target-taken"
        /// The target was never identified.
        case unknownTarget = "unknown-target"
        /// The target's status does not allow the event (EVENTS.md §6.2).
        case targetStatus = "target-status"
        /// The person named is not registered with an unrevoked key.
        case unknownPerson = "unknown-person"
        /// The item was seized before.
        case itemExists = "item-exists"
        /// The item was never seized.
        case unknownItem = "unknown-item"
        /// The target or parent item named belongs to another case.
        case wrongCase = "wrong-case"
        /// The item's status does not allow the event (disposed, lost, in transit, …).
        case itemStatus = "item-status"
        /// Someone other than the holder (or the examiner or a supervisor, where allowed) acted.
        case notHolder = "not-holder"
        /// Someone other than the named recipient received or refused the item.
        case notRecipient = "not-recipient"
        /// The same person in two roles that must differ (a witness, a recipient who holds the item already).
        case samePerson = "same-person"
        /// The seal stated does not match the item's seal.
        case sealMismatch = "seal-mismatch"
        /// The item is already sealed.
        case alreadySealed = "already-sealed"
        /// The corrected entry is not of the stream, or is a correction itself.
        case correctionTarget = "correction-target"
        /// The field may not be corrected, or the value breaks its schema.
        case notCorrectable = "not-correctable"
        /// Only the person who recorded the entry, or a supervisor, may correct it.
        case notCorrector = "not-corrector"
    }

    /// Which rule.
    public let code: Code
    /// The data member the refusal is about (`data.seal`), when there is one.
    public let field: String?
    /// Why, in words.
    public let description: String

    init(_ code: Code, field: String? = nil, _ description: String) {
        self.code = code
        self.field = field
        self.description = description
    }
}

/// The current state of cases, targets, items and people: a fold over the log (docs/EVENTS.md), the custody
/// domain's ``ReplayFold``.
///
/// The same fold decides appends (loading records from the store's projection tables through a ``ProjectionSource``)
/// and replays history for `ledger verify` and `ledger rebuild` (everything in memory). An entry that breaks a
/// custody rule throws ``CustodyViolation`` and leaves the state unchanged.
public struct CustodyState: ReplayFold {
    /// Custody breaches found in a replay.
    public static let findingCategory = Finding.Category.custody

    private var people: [String: PersonRecord?] = [:]
    private var cases: [String: CaseRecord?] = [:]
    private var targets: [String: TargetRecord?] = [:]
    private var targetIndex: [TargetKey: String?] = [:]
    private var items: [String: ItemRecord?] = [:]
    private var steps: [CustodyStep] = []
    private var dirty: [ProjectionTable: Set<String>] = [:]
    /// The person behind each actor key seen since the last key event.
    private var actors: [String: Actor] = [:]
    private let source: (any ProjectionSource)?
    /// For a court-export bundle: the streams it discloses.
    ///
    /// Rules that refer to a case, target or parent item
    /// outside them are not checked (FORMAT.md §11.5).
    private let disclosedStreams: Set<[UInt8]>?

    /// A state that loads unknown records from `source`, or an empty in-memory state when nil.
    public init(source: (any ProjectionSource)? = nil) {
        self.source = source
        disclosedStreams = nil
    }

    /// An in-memory state for the partial history of a bundle that discloses `streams`.
    public init(disclosing streams: some Sequence<String>) {
        source = nil
        disclosedStreams = Set(streams.map { Array($0.utf8) })
    }

    /// False when the stream is outside a bundle's disclosure, so rules about it cannot be checked.
    private func isKnown(_ prefix: String, _ id: String) -> Bool {
        disclosedStreams?.contains(Array((prefix + id).utf8)) ?? true
    }

    // MARK: Lookups

    /// The person, if any of their keys was ever registered.
    public mutating func person(_ id: String) throws -> PersonRecord? {
        if let cached = people[id] { return cached }
        // In memory there is nothing to load, and a miss is not worth remembering.
        guard source != nil else { return nil }
        let loaded = try load(.people, id).map { try PersonRecord($0) }
        people[id] = .some(loaded)
        return loaded
    }

    /// The case with this id.
    public mutating func caseRecord(_ id: String) throws -> CaseRecord? {
        if let cached = cases[id] { return cached }
        // In memory there is nothing to load, and a miss is not worth remembering.
        guard source != nil else { return nil }
        let loaded = try load(.cases, id).map { try CaseRecord($0) }
        cases[id] = .some(loaded)
        return loaded
    }

    /// The target with this id.
    public mutating func target(_ id: String) throws -> TargetRecord? {
        if let cached = targets[id] { return cached }
        // In memory there is nothing to load, and a miss is not worth remembering.
        guard source != nil else { return nil }
        let loaded = try load(.targets, id).map { try TargetRecord($0) }
        targets[id] = .some(loaded)
        return loaded
    }

    /// The item with this id.
    public mutating func item(_ id: String) throws -> ItemRecord? {
        if let cached = items[id] { return cached }
        // In memory there is nothing to load, and a miss is not worth remembering.
        guard source != nil else { return nil }
        let loaded = try load(.items, id).map { try ItemRecord($0) }
        items[id] = .some(loaded)
        return loaded
    }

    /// The id of the target with this case, kind and value.
    private mutating func targetID(_ key: TargetKey) throws -> String? {
        if let cached = targetIndex[key] { return cached }
        guard source != nil else { return nil }
        let loaded = try source?.targetID(caseID: key.caseID, kind: key.kind, value: key.value)
        targetIndex[key] = .some(loaded)
        return loaded
    }

    /// A target's case, kind and value: unique among targets (three strings hashed, not joined into a new one).
    struct TargetKey: Hashable {
        let caseID: String
        let kind: String
        let value: String
    }

    private func load(_ table: ProjectionTable, _ key: String) throws -> JSONValue? {
        guard let text = try source?.projectionState(table, key: key) else { return nil }
        do { return try JSONParser.parse(Array(text.utf8), profile: .ledgerV1) } catch {
            throw CoreError.format("the stored \(table.name) row \(key) is unreadable: \(error); run `ledger rebuild`")
        }
    }

    // MARK: Rows

    /// The rows changed since the last call (for a store to write in the append's transaction), and forgets them.
    public mutating func takeChangedRows() -> [ProjectionRow] {
        var rows: [ProjectionRow] = []
        for (table, keys) in dirty {
            for key in keys.sorted() {
                switch table {
                case .people: if let record = people[key] ?? nil { rows.append(record.row) }
                case .cases: if let record = cases[key] ?? nil { rows.append(record.row) }
                case .targets: if let record = targets[key] ?? nil { rows.append(record.row) }
                case .items: if let record = items[key] ?? nil { rows.append(record.row) }
                default: break
                }
            }
        }
        rows += steps.map(\.row)
        dirty = [:]
        steps = []
        return rows
    }

    /// Every row of `table`, sorted by key (for comparing a replay with stored projections, and for rebuild).
    public func rows(_ table: ProjectionTable) -> [ProjectionRow] {
        let rows: [ProjectionRow]
        switch table {
        case .people: rows = people.values.compactMap { $0?.row }
        case .cases: rows = cases.values.compactMap { $0?.row }
        case .targets: rows = targets.values.compactMap { $0?.row }
        case .items: rows = items.values.compactMap { $0?.row }
        case .custodySteps: rows = steps.map(\.row)
        default: rows = []
        }
        return rows.sorted { $0.key.precedesInBytes($1.key) }
    }

    /// The keys of the records of `table` held in memory, sorted (not the custody steps).
    public func keys(_ table: ProjectionTable) -> [String] {
        let keys: [String]
        switch table {
        case .people: keys = people.compactMap { $0.value == nil ? nil : $0.key }
        case .cases: keys = cases.compactMap { $0.value == nil ? nil : $0.key }
        case .targets: keys = targets.compactMap { $0.value == nil ? nil : $0.key }
        case .items: keys = items.compactMap { $0.value == nil ? nil : $0.key }
        default: keys = []
        }
        return keys.sorted { $0.precedesInBytes($1) }
    }

    /// The row of the record with this key (people, cases, targets, items); safe to call from several threads at
    /// once on a state no one changes.
    public func row(_ table: ProjectionTable, key: String) -> ProjectionRow? {
        switch table {
        case .people: people[key]??.row
        case .cases: cases[key]??.row
        case .targets: targets[key]??.row
        case .items: items[key]??.row
        default: nil
        }
    }

    /// Keeps every step in memory (replay) instead of handing them out with ``takeChangedRows()``.
    private var isReplay: Bool { source == nil }

    /// Changes a case in place (taking it out of the cache first, so its figures are not copied).
    ///
    /// `change` cannot throw, so the case is always put back.
    private mutating func updateCase(_ id: String, _ change: (inout CaseRecord) -> Void) throws {
        guard let index = try caseIndex(id) else { return }
        updateCase(at: index, change)
    }

    /// Changes the case at `index` (from ``caseIndex(_:)`` or ``requireOpenCase(_:for:)``) in place.
    private mutating func updateCase(
        at index: Dictionary<String, CaseRecord?>.Index, _ change: (inout CaseRecord) -> Void
    ) {
        // Through the values view the stored record itself changes, in place.
        cases.values[index].modifyInPlace(change)
        if !isReplay, let id = cases.values[index].peek({ $0.id }) { dirty[.cases, default: []].insert(id) }
    }

    private mutating func save(_ record: PersonRecord) {
        people[record.person] = .some(record)
        if !isReplay { dirty[.people, default: []].insert(record.person) }
    }
    private mutating func save(_ record: CaseRecord) {
        cases[record.id] = .some(record)
        if !isReplay { dirty[.cases, default: []].insert(record.id) }
    }
    private mutating func save(_ record: TargetRecord) {
        targets[record.id] = .some(record)
        if !isReplay { dirty[.targets, default: []].insert(record.id) }
    }
    private mutating func save(_ record: ItemRecord) {
        items[record.id] = .some(record)
        if !isReplay { dirty[.items, default: []].insert(record.id) }
    }

    // MARK: The fold

    /// Applies one entry that already passed the type table's rules (EntryRules).
    ///
    /// Throws ``CustodyViolation`` (state unchanged) when it breaks a custody rule, or a store error.
    public mutating func apply(_ entry: Entry, keys: any KeyDirectory) throws {
        try apply(entry.body, keys: keys)
    }

    /// Applies one entry's body (all the fold reads): for a replay that parses records without hashing them.
    public mutating func apply(_ body: EntryBody, keys: any KeyDirectory) throws {
        switch body.type {
        case EventTypes.keyRegistered:
            actors = [:]
            try registerKey(body)
        case EventTypes.keyRevoked:
            actors = [:]
            try revokeKey(body, keys: keys)
        case EventTypes.ledgerCreated, EventTypes.ledgerNote: return
        default:
            let actor: Actor
            if let known = actors[body.actor] {
                actor = known
            } else {
                guard let actorKey = try keys.key(body.actor) else {
                    throw CustodyViolation(.unknownActor, "the actor's key is not registered")
                }
                actor = Actor(key: actorKey, agency: try person(actorKey.person)?.agency ?? actorKey.agency)
                actors[body.actor] = actor
            }
            let stream = body.stream.utf8
            if stream.starts(with: "target/".utf8) {
                try applyTarget(body, id: String(body.stream.dropFirst(7)), actor: actor)
            } else if stream.starts(with: "item/".utf8) {
                try applyItem(body, id: String(body.stream.dropFirst(5)), actor: actor, keys: keys)
            } else if stream.starts(with: "case/".utf8) {
                try applyCase(body, id: String(body.stream.dropFirst(5)), actor: actor)
            }
        }
    }

    /// Who performed an entry: the person behind the actor key.
    struct Actor {
        let key: KeyState
        let agency: String
        var person: String { key.person }
        func isSupervisor() -> Bool { key.hasRole(Roles.supervisor) }
    }

    private mutating func registerKey(_ body: EntryBody) throws {
        let data = body.data
        guard let personID = data.member("person")?.stringValue, let keyID = data.member("key")?.stringValue else {
            return
        }
        var record =
            try person(personID)
            ?? PersonRecord(
                person: personID, name: data.member("name")?.stringValue ?? "",
                agency: data.member("agency")?.stringValue ?? "")
        // The newest registration's name and agency describe the person.
        record.name = data.member("name")?.stringValue ?? record.name
        record.agency = data.member("agency")?.stringValue ?? record.agency
        let roles = data.member("roles")?.arrayValue?.compactMap(\.stringValue) ?? []
        record.keys.append((keyID, roles, false))
        save(record)
    }

    private mutating func revokeKey(_ body: EntryBody, keys: any KeyDirectory) throws {
        let keyID = String(body.stream.dropFirst(4))
        guard let key = try keys.key(keyID), var record = try person(key.person) else { return }
        for index in record.keys.indices where record.keys[index].keyID == keyID { record.keys[index].revoked = true }
        save(record)
    }

    // MARK: Cases

    /// Checks that a case exists and is open, reading its status in place (without copying the record).
    ///
    /// Returns where the case is in the cache, for ``updateCase(at:_:)``; nil for a case outside a bundle's
    /// disclosure.
    @discardableResult
    private mutating func requireOpenCase(_ id: String, for what: String) throws -> Dictionary<
        String, CaseRecord?
    >.Index? {
        guard isKnown("case/", id) else { return nil }
        guard let index = try caseIndex(id), let status = cases.values[index].peek({ $0.status }) else {
            throw CustodyViolation(.unknownCase, field: "data.case", "\(what): case \(id) does not exist")
        }
        guard status == "open" else {
            throw CustodyViolation(
                .caseClosed, field: "data.case",
                "\(what): case \(id) is closed (since seq \(cases.values[index]?.closedSeq ?? 0))")
        }
        return index
    }

    /// Where the case is in the cache, loading it first if need be (one hash lookup when it is there).
    private mutating func caseIndex(_ id: String) throws -> Dictionary<String, CaseRecord?>.Index? {
        if let index = cases.index(forKey: id) { return index }
        guard source != nil else { return nil }
        _ = try caseRecord(id)
        return cases.index(forKey: id)
    }

    /// Where the target is in the cache, loading it first if need be (one hash lookup when it is there).
    private mutating func targetSlot(_ id: String) throws -> Dictionary<String, TargetRecord?>.Index? {
        if let index = targets.index(forKey: id) { return index }
        guard source != nil else { return nil }
        _ = try target(id)
        return targets.index(forKey: id)
    }

    private mutating func openCase(_ id: String, for what: String) throws -> CaseRecord {
        guard let record = try caseRecord(id) else {
            throw CustodyViolation(.unknownCase, field: "data.case", "\(what): case \(id) does not exist")
        }
        guard record.status == "open" else {
            throw CustodyViolation(
                .caseClosed, field: "data.case", "\(what): case \(id) is closed (since seq \(record.closedSeq ?? 0))")
        }
        return record
    }

    private mutating func applyCase(_ entry: EntryBody, id: String, actor: Actor) throws {
        let body = entry
        let data = body.data
        if body.type == CustodyEvents.caseOpened {
            guard try caseRecord(id) == nil else {
                throw CustodyViolation(.caseExists, "case \(id) was already opened")
            }
            var record = CaseRecord(
                id: id, title: data.member("title")?.stringValue ?? "",
                agencies: data.member("agencies")?.arrayValue?.compactMap(\.stringValue) ?? [], openedSeq: body.seq,
                openedAt: body.time)
            record.log.append(LogRef(seq: body.seq, type: body.type, person: actor.person))
            save(record)
            return
        }
        guard var record = try caseRecord(id) else { throw CustodyViolation(.unknownCase, "case \(id) does not exist") }
        switch body.type {
        case CustodyEvents.caseAgencyJoined:
            record = try openCase(id, for: "an agency joins")
            let agency = data.member("agency")?.stringValue ?? ""
            guard !record.agencies.contains(where: { $0.hasSameBytes(as: agency) }) else {
                throw CustodyViolation(
                    .agencyAlreadyJoined, field: "data.agency", "agency \(agency) already takes part in case \(id)")
            }
            record.agencies.append(agency)
        case CustodyEvents.caseClosed:
            record = try openCase(id, for: "closing")
            record.status = "closed"
            record.closedSeq = body.seq
        case CustodyEvents.entryCorrected:
            record.corrections.append(try correction(entry, log: record.log, actor: actor))
        case CustodyEvents.noteAdded: break
        default: throw CustodyViolation(.notApplicable, "\(body.type) does not apply to a case")
        }
        record.log.append(LogRef(seq: body.seq, type: body.type, person: actor.person))
        save(record)
    }

    // MARK: Targets

    private mutating func applyTarget(_ entry: EntryBody, id: String, actor: Actor) throws {
        let body = entry
        let data = body.data
        if body.type == CustodyEvents.targetIdentified {
            guard try target(id) == nil else {
                throw CustodyViolation(.targetExists, "target \(id) was already identified")
            }
            let caseID = data.member("case")?.stringValue ?? ""
            let caseSlot = try requireOpenCase(caseID, for: "identifying a target")
            let kind = data.member("kind")?.stringValue ?? ""
            let value = data.member("value")?.stringValue ?? ""
            let normalized: String
            do { normalized = try TargetValue.normalize(value, kind: TargetKind(rawValue: kind) ?? .ip) } catch {
                throw CustodyViolation(.targetValue, field: "data.value", "\(error)")
            }
            guard normalized.hasSameBytes(as: value) else {
                throw CustodyViolation(
                    .targetValue, field: "data.value",
                    "the \(kind) value \"\(value)\" is not normalized (expected \"\(normalized)\")")
            }
            // The last check: nothing below throws, so the claim stands.
            let key = TargetKey(caseID: caseID, kind: kind, value: value)
            if let existing = try claim(key, for: id) {
                throw CustodyViolation(
                    .targetTaken, field: "data.value",
                    "\(kind) \(value) is already target \(existing) of case \(caseID)")
            }
            var record = TargetRecord(
                id: id, caseID: caseID, kind: kind, value: value,
                category: data.member("category")?.stringValue ?? "",
                country: data.member("country")?.stringValue ?? "",
                source: data.member("source")?.stringValue ?? "", identifiedSeq: body.seq)
            record.hostingProvider = data.member("hosting_provider")?.stringValue
            record.asn = data.member("asn")?.integerValue
            record.log.append(LogRef(seq: body.seq, type: body.type, person: actor.person))
            if let caseSlot {
                updateCase(at: caseSlot) {
                    $0.figures.moveTarget(
                        category: record.category, country: record.country, from: nil, to: record.status)
                }
            }
            save(record)
            return
        }
        // Moved out of its slot and back in place: no second hash lookup, nothing copied. Nothing below changes
        // `targets`, so the slot stays valid; every check throws before the record changes, so on a breach it goes
        // back as it was.
        guard let index = try targetSlot(id), var record = targets.values[index].take() else {
            throw CustodyViolation(.unknownTarget, "target \(id) was never identified")
        }
        defer { targets.values[index] = .some(record) }
        let before = record.status
        var caseSlot: Dictionary<String, CaseRecord?>.Index?
        if body.type != CustodyEvents.entryCorrected && body.type != CustodyEvents.noteAdded {
            caseSlot = try requireOpenCase(record.caseID, for: body.type)
        }
        try Self.advance(&record, body, actor: actor, correction: { try correction(body, log: $0, actor: actor) })
        record.log.append(LogRef(seq: body.seq, type: body.type, person: actor.person))
        record.lastSeq = body.seq
        if record.status != before {
            let (category, country, after) = (record.category, record.country, record.status)
            let move = { (caseRecord: inout CaseRecord) in
                caseRecord.figures.moveTarget(category: category, country: country, from: before, to: after)
            }
            if let caseSlot { updateCase(at: caseSlot, move) } else { try updateCase(record.caseID, move) }
        }
        if !isReplay { dirty[.targets, default: []].insert(id) }
    }

    /// Records that `key` belongs to target `id`, unless another target has it: then returns that target's id
    /// and changes nothing (one hash of the key when it is free).
    private mutating func claim(_ key: TargetKey, for id: String) throws -> String? {
        // Loads the stored owner into the cache first, if any.
        if source != nil { _ = try targetID(key) }
        let previous = targetIndex.updateValue(.some(id), forKey: key)
        guard case .some(.some(let existing)) = previous else { return nil }
        targetIndex[key] = previous
        return existing
    }

    /// Moves a target through its state machine (EVENTS.md §6.2); throws before changing anything.
    private static func advance(
        _ record: inout TargetRecord, _ body: EntryBody, actor: Actor,
        correction: ([LogRef]) throws -> Correction
    ) throws {
        let id = record.id
        let status = record.status
        func requireActive(_ what: String) throws {
            guard TargetStatus.active.contains(status) else {
                throw CustodyViolation(.targetStatus, "\(what) needs an active target; target \(id) is \(status)")
            }
        }
        switch body.type {
        case CustodyEvents.targetVerified:
            guard status == TargetStatus.identified || status == TargetStatus.reappeared else {
                throw CustodyViolation(
                    .targetStatus, "only an identified target can be verified; target \(id) is \(status)")
            }
            record.status = TargetStatus.verified
        case CustodyEvents.targetFalsePositive:
            try requireActive("marking a false positive")
            record.status = TargetStatus.falsePositive
        case CustodyEvents.targetNotified:
            try requireActive("a notification")
            if status != TargetStatus.takedownRequested { record.status = TargetStatus.notified }
        case CustodyEvents.takedownRequested:
            try requireActive("a takedown request")
            record.status = TargetStatus.takedownRequested
        case CustodyEvents.takedownConfirmed:
            try requireActive("a takedown outcome")
            record.status = TargetStatus.takenDown
            record.method = body.data.member("method")?.stringValue
        case CustodyEvents.takedownNotActioned:
            try requireActive("a takedown outcome")
            record.status = TargetStatus.notActioned
        case CustodyEvents.targetReappeared:
            guard status == TargetStatus.takenDown else {
                throw CustodyViolation(
                    .targetStatus, "only a taken-down target can reappear; target \(id) is \(status)")
            }
            record.status = TargetStatus.reappeared
            record.method = nil
        case CustodyEvents.entryCorrected:
            let fix = try correction(record.log)
            record.corrections.append(fix)
        case CustodyEvents.noteAdded: break
        default: throw CustodyViolation(.notApplicable, "\(body.type) does not apply to a target")
        }
    }

    // MARK: Items

    private mutating func requirePerson(_ id: String, as what: String) throws -> PersonRecord {
        guard let record = try person(id), record.isActive else {
            throw CustodyViolation(.unknownPerson, "\(what) \(id) is not a registered person with an unrevoked key")
        }
        return record
    }

    private mutating func applyItem(_ entry: EntryBody, id: String, actor: Actor, keys: any KeyDirectory) throws {
        let body = entry
        let data = body.data
        var details = JSONObject()
        if body.type == CustodyEvents.itemSeized {
            guard try item(id) == nil else { throw CustodyViolation(.itemExists, "item \(id) was already seized") }
            let caseID = data.member("case")?.stringValue ?? ""
            try requireOpenCase(caseID, for: "a seizure")
            if let targetID = data.member("target")?.stringValue, isKnown("target/", targetID) {
                guard let found = try target(targetID), found.caseID.hasSameBytes(as: caseID) else {
                    throw CustodyViolation(
                        .wrongCase, field: "data.target", "target \(targetID) is not a target of case \(caseID)")
                }
            }
            if let parentID = data.member("parent")?.stringValue, isKnown("item/", parentID) {
                guard let parent = try item(parentID), parent.caseID.hasSameBytes(as: caseID) else {
                    throw CustodyViolation(
                        .wrongCase, field: "data.parent", "parent item \(parentID) is not an item of case \(caseID)")
                }
                guard parent.status != ItemStatus.disposed && parent.status != ItemStatus.lost else {
                    throw CustodyViolation(
                        .itemStatus, field: "data.parent", "parent item \(parentID) is \(parent.status)")
                }
            }
            if let witness = data.member("witness_key")?.stringValue {
                guard let witnessKey = try keys.key(witness), witnessKey.person != actor.person else {
                    throw CustodyViolation(
                        .samePerson, field: "data.witness_key",
                        "the witnessing officer must be another person than the seizing officer")
                }
                details.set("witness", witnessKey.person)
            }
            var record = ItemRecord(
                id: id, caseID: caseID, exhibit: data.member("exhibit")?.stringValue ?? "",
                kind: data.member("kind")?.stringValue ?? "",
                description: data.member("description")?.stringValue ?? "",
                location: data.member("location")?.stringValue ?? "", holder: actor.person,
                seizedAt: data.member("occurred_at")?.stringValue ?? "", seizedSeq: body.seq)
            record.serial = data.member("serial")?.stringValue
            record.imei = data.member("imei")?.stringValue
            record.iccid = data.member("iccid")?.stringValue
            record.deviceState = data.member("device_state")?.stringValue
            record.seal = data.member("seal")?.stringValue
            record.target = data.member("target")?.stringValue
            record.parent = data.member("parent")?.stringValue
            details.set("occurred_at", record.seizedAt)
            details.set("location", record.location)
            details.set("seized_from", data.member("seized_from")?.stringValue)
            details.set("seal", record.seal)
            try updateCase(caseID) {
                $0.figures.itemsByKind[record.kind, default: 0] += 1
                $0.figures.moveItem(from: nil, to: record.status)
            }
            addStep(&record, entry, actor: actor, details: details)
            return
        }
        guard var record = try item(id) else { throw CustodyViolation(.unknownItem, "item \(id) was never seized") }
        let before = record.status
        let me = actor.person
        let isHolder = record.holder.hasSameBytes(as: me)
        let isExaminer = record.status == ItemStatus.checkedOut && record.checkedOutTo?.hasSameBytes(as: me) == true
        if body.type != CustodyEvents.noteAdded && body.type != CustodyEvents.entryCorrected {
            guard record.status != ItemStatus.disposed && record.status != ItemStatus.lost else {
                throw CustodyViolation(.itemStatus, "item \(id) is \(record.status); nothing more can happen to it")
            }
        }
        func require(_ status: String..., for what: String) throws {
            guard status.contains(record.status) else {
                throw CustodyViolation(
                    .itemStatus,
                    "\(what) needs the item \(status.joined(separator: " or ")); item \(id) is \(record.status)")
            }
        }
        func requireHolder(_ what: String, orExaminer: Bool = false, orSupervisor: Bool = false) throws {
            guard isHolder || (orExaminer && isExaminer) || (orSupervisor && actor.isSupervisor()) else {
                let who = orExaminer && record.checkedOutTo != nil ? " or \(record.checkedOutTo ?? "")" : ""
                throw CustodyViolation(
                    .notHolder, "only the holder \(record.holder)\(who) may record \(what); \(me) acted")
            }
        }
        switch body.type {
        case CustodyEvents.itemAcquired:
            try require(ItemStatus.inCustody, ItemStatus.checkedOut, for: "an acquisition")
            try requireHolder("an acquisition", orExaminer: true)
            try requireOpenCase(record.caseID, for: "an acquisition")
            var summary = JSONObject()
            summary.set(
                "images",
                JSONValue.array(
                    (data.member("images")?.arrayValue ?? []).map { image in
                        var object = JSONObject()
                        object.set("name", image.member("name")?.stringValue)
                        object.set("sha256", Self.sha256(of: image.member("hashes")))
                        object.set("size", image.member("size")?.integerValue)
                        return object.value
                    }))
            summary.set("seq", body.seq)
            summary.set("source_sha256", Self.sha256(of: data.member("source_hashes")))
            summary.set("tool", data.member("tool")?.stringValue)
            summary.set("verified", data.member("verified") == .bool(true))
            record.acquisitions.append(summary.value)
            details.set("tool", data.member("tool")?.stringValue)
            details.set("verified", data.member("verified") == .bool(true))
            details.set("source_sha256", Self.sha256(of: data.member("source_hashes")))
        case CustodyEvents.custodyReleased:
            try require(ItemStatus.inCustody, for: "a release")
            try requireHolder("a release")
            let to = data.member("to")?.stringValue ?? ""
            _ = try requirePerson(to, as: "the recipient")
            guard !to.hasSameBytes(as: record.holder) else {
                throw CustodyViolation(.samePerson, field: "data.to", "\(to) already holds item \(id)")
            }
            let stated = data.member("seal")?.stringValue
            if stated != record.seal {
                throw CustodyViolation(
                    .sealMismatch, field: "data.seal",
                    "the release states seal \(stated ?? "none") but item \(id) has seal \(record.seal ?? "none"); "
                        + "record item.unsealed or item.sealed first")
            }
            record.status = ItemStatus.inTransit
            record.pendingTo = to
            details.set("to", to)
            details.set("purpose", data.member("purpose")?.stringValue)
            details.set("seal", stated)
            details.set("courier", data.member("courier")?.stringValue)
            details.set("tracking", data.member("tracking")?.stringValue)
        case CustodyEvents.custodyReceived:
            try require(ItemStatus.inTransit, for: "a receipt")
            guard record.pendingTo?.hasSameBytes(as: me) == true else {
                throw CustodyViolation(
                    .notRecipient,
                    "only the named recipient \(record.pendingTo ?? "?") may receive item \(id); \(me) acted")
            }
            let observed = data.member("seal")?.stringValue
            let intact = data.member("seal_intact") == .bool(true)
            let matches = observed == record.seal
            details.set("from", record.holder)
            details.set("seal", observed)
            details.set("seal_intact", intact)
            details.set("seal_check", !intact ? "broken" : (matches ? "intact" : "mismatch"))
            details.set("condition", data.member("condition")?.stringValue)
            details.set("location", data.member("location")?.stringValue)
            if !intact || !matches { record.sealIncident = true }
            if !intact { record.seal = nil }
            record.status = ItemStatus.inCustody
            record.holder = me
            record.pendingTo = nil
            if let location = data.member("location")?.stringValue { record.location = location }
        case CustodyEvents.custodyReleaseCancelled:
            try require(ItemStatus.inTransit, for: "a cancellation")
            try requireHolder("a cancellation")
            details.set("reason", data.member("reason")?.stringValue)
            record.status = ItemStatus.inCustody
            record.pendingTo = nil
        case CustodyEvents.custodyReceiptRefused:
            try require(ItemStatus.inTransit, for: "a refusal")
            guard record.pendingTo?.hasSameBytes(as: me) == true else {
                throw CustodyViolation(
                    .notRecipient, "only the named recipient \(record.pendingTo ?? "?") may refuse item \(id)")
            }
            details.set("reason", data.member("reason")?.stringValue)
            details.set("to", record.holder)
            // The courier brings it back: in transit to the person who released it.
            record.pendingTo = record.holder
        case CustodyEvents.custodyLost:
            try require(ItemStatus.inTransit, for: "a loss")
            guard isHolder || record.pendingTo?.hasSameBytes(as: me) == true || actor.isSupervisor() else {
                throw CustodyViolation(
                    .notHolder, "only the sender, the recipient or a supervisor may report item \(id) lost")
            }
            details.set("details", data.member("details")?.stringValue)
            record.status = ItemStatus.lost
        case CustodyEvents.custodyReassigned:
            let to = data.member("to")?.stringValue ?? ""
            _ = try requirePerson(to, as: "the new holder")
            details.set("to", to)
            details.set("reason", data.member("reason")?.stringValue)
            if record.status == ItemStatus.inTransit {
                details.set("role", "recipient")
                record.pendingTo = to
            } else {
                details.set("from", record.holder)
                record.holder = to
            }
        case CustodyEvents.itemCheckedOut:
            try require(ItemStatus.inCustody, for: "a check-out")
            try requireHolder("a check-out")
            let to = data.member("to")?.stringValue ?? ""
            _ = try requirePerson(to, as: "the examiner")
            record.status = ItemStatus.checkedOut
            record.checkedOutTo = to
            details.set("to", to)
            details.set("purpose", data.member("purpose")?.stringValue)
        case CustodyEvents.itemCheckedIn:
            try require(ItemStatus.checkedOut, for: "a check-in")
            try requireHolder("a check-in", orExaminer: true)
            record.status = ItemStatus.inCustody
            record.checkedOutTo = nil
            if let location = data.member("location")?.stringValue { record.location = location }
            details.set("location", data.member("location")?.stringValue)
            details.set("condition", data.member("condition")?.stringValue)
        case CustodyEvents.itemStored:
            try require(ItemStatus.inCustody, for: "storing")
            try requireHolder("storing")
            record.location = data.member("location")?.stringValue ?? record.location
            details.set("location", record.location)
        case CustodyEvents.itemSealed:
            try require(ItemStatus.inCustody, ItemStatus.checkedOut, for: "sealing")
            try requireHolder("sealing", orExaminer: true)
            guard record.seal == nil else {
                throw CustodyViolation(
                    .alreadySealed, field: "data.seal",
                    "item \(id) is already sealed with \(record.seal ?? ""); unseal it first")
            }
            record.seal = data.member("seal")?.stringValue
            details.set("seal", record.seal)
            details.set("reason", data.member("reason")?.stringValue)
        case CustodyEvents.itemUnsealed:
            try require(ItemStatus.inCustody, ItemStatus.checkedOut, for: "unsealing")
            try requireHolder("unsealing", orExaminer: true)
            let seal = data.member("seal")?.stringValue
            guard let current = record.seal, seal?.hasSameBytes(as: current) == true else {
                throw CustodyViolation(
                    .sealMismatch, field: "data.seal", "item \(id) has seal \(record.seal ?? "none"), not \(seal ?? "")"
                )
            }
            record.seal = nil
            details.set("seal", seal)
            details.set("reason", data.member("reason")?.stringValue)
        case CustodyEvents.itemExamined:
            try require(ItemStatus.inCustody, ItemStatus.checkedOut, for: "an examination")
            try requireHolder("an examination", orExaminer: true)
            try requireOpenCase(record.caseID, for: "an examination")
            details.set("report_reference", data.member("report_reference")?.stringValue)
            details.set("summary", data.member("summary")?.stringValue)
        case CustodyEvents.itemDisposed:
            try require(ItemStatus.inCustody, for: "a disposal")
            try requireHolder("a disposal", orSupervisor: true)
            if let witness = data.member("witness_key")?.stringValue {
                guard let witnessKey = try keys.key(witness), witnessKey.person != me else {
                    throw CustodyViolation(
                        .samePerson, field: "data.witness_key",
                        "the witness must be another person than the one disposing")
                }
                details.set("witness", witnessKey.person)
            }
            record.status = ItemStatus.disposed
            details.set("method", data.member("method")?.stringValue)
            details.set("authority", data.member("authority")?.stringValue)
        case CustodyEvents.entryCorrected:
            let fix = try correction(entry, log: record.log, actor: actor)
            record.corrections.append(fix)
            details.set("corrects", fix.corrects)
            details.set("field", fix.field)
            details.set("value", fix.value)
        case CustodyEvents.noteAdded:
            details.set("text", data.member("text")?.stringValue)
        default: throw CustodyViolation(.notApplicable, "\(body.type) does not apply to an item")
        }
        if record.status != before {
            try updateCase(record.caseID) { $0.figures.moveItem(from: before, to: record.status) }
        }
        addStep(&record, entry, actor: actor, details: details)
    }

    private mutating func addStep(_ record: inout ItemRecord, _ entry: EntryBody, actor: Actor, details: JSONObject) {
        let body = entry
        record.steps += 1
        record.lastSeq = body.seq
        record.log.append(LogRef(seq: body.seq, type: body.type, person: actor.person))
        steps.append(
            CustodyStep(
                item: record.id, number: record.steps, seq: body.seq, time: body.time, type: body.type,
                by: actor.person, byAgency: actor.agency, details: details.value))
        save(record)
    }

    private static func sha256(of hashes: JSONValue?) -> String? {
        hashes?.arrayValue?.first { $0.member("alg") == .string("sha256") }?.member("value")?.stringValue
    }

    // MARK: Corrections

    /// Checks an `entry.corrected` against the entries of its stream.
    private func correction(_ entry: EntryBody, log: [LogRef], actor: Actor) throws -> Correction {
        let data = entry.data
        let target = data.member("corrects")?.integerValue ?? 0
        let field = data.member("field")?.stringValue ?? ""
        let value = data.member("value")?.stringValue ?? ""
        guard let original = log.first(where: { $0.seq == target }) else {
            throw CustodyViolation(
                .correctionTarget, field: "data.corrects", "seq \(target) is not an entry of stream \(entry.stream)")
        }
        guard original.type != CustodyEvents.entryCorrected, let rule = TypeTable.custodyV1.rules[original.type],
            rule.correctable.contains(where: { $0.hasSameBytes(as: field) }), let schema = rule.data.field(field)
        else {
            let allowed = TypeTable.custodyV1.rules[original.type]?.correctable ?? []
            throw CustodyViolation(
                .notCorrectable, field: "data.field",
                "field \"\(field)\" of \(original.type) cannot be corrected"
                    + (allowed.isEmpty ? "" : " (correctable: \(allowed.joined(separator: ", ")))"))
        }
        do { try schema.schema.check(.string(value), path: "data.value") } catch {
            throw CustodyViolation(.notCorrectable, field: "data.value", "\(error)")
        }
        guard original.person.hasSameBytes(as: actor.person) || actor.isSupervisor() else {
            throw CustodyViolation(
                .notCorrector, "only \(original.person), who recorded seq \(target), or a supervisor may correct it")
        }
        return Correction(
            seq: entry.seq, corrects: target, field: field, value: value,
            reason: data.member("reason")?.stringValue ?? "", by: actor.person)
    }
}

extension Optional {
    /// Reads from the wrapped value where it is (a getter would copy it, retaining each of its fields).
    mutating func peek<Result>(_ read: (inout Wrapped) -> Result) -> Result? {
        guard case .some(var value) = self else { return nil }
        self = nil
        defer { self = .some(value) }
        return read(&value)
    }

    /// Changes the wrapped value without a second reference to its storage (so nothing is copied on write).
    mutating func modifyInPlace(_ change: (inout Wrapped) -> Void) {
        guard case .some(var value) = self else { return }
        self = nil
        change(&value)
        self = .some(value)
    }
}

/// The verifier of a custody ledger: the core's rules, then the custody fold.
public typealias CustodyVerifier = LedgerVerifier<CustodyState>
