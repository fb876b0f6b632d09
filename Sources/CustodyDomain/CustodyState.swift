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
        /// Version 2: a case cannot close while one of its items is in transit or checked out, unless the closing
        /// states why (`override_reason`).
        case itemsOpen = "items-open"
        /// Version 2: a destruction needs a witnessing officer who co-signs it.
        case witnessRequired = "witness-required"
        /// Version 2: the act (`occurred_at`) cannot be later than the moment its statement was signed.
        case actAfterSigning = "act-after-signing"
        /// Version 2: a target's country is one of the frozen list of ISO 3166-1 codes (EVENTS.md §8.1).
        case unknownCountry = "unknown-country"
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

    /// A receipt stating a seal intact that is not the seal the item was released under (EVENTS.md §4.1).
    public static func sealNotAsReleased(item: String, stated: String?, released: String?) -> CustodyViolation {
        CustodyViolation(
            .sealMismatch, field: "data.seal",
            "item \(item) was released under seal \(released ?? "none"), but the receipt states seal "
                + "\(stated ?? "none") intact; a different, missing or broken seal is recorded as not intact")
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

    private var people: RecordCache<PersonRecord>
    private var cases: RecordCache<CaseRecord>
    private var targets: RecordCache<TargetRecord>
    private var items: RecordCache<ItemRecord>
    /// The owner of each target key (case, kind, value) seen; `.some(nil)` remembers that the store has none.
    private var targetIndex: [TargetKey: String?] = [:]
    /// Custody steps: all of them in a replay, the new ones in an append; none when ``stepChains`` keeps them.
    private var steps: [CustodyStep] = []
    /// For a replay that only compares: each item's steps as a ``StepChain`` instead of the rows (memory by items,
    /// not by entries); nil otherwise.
    private var chains: [String: StepChain]?
    /// The person behind each actor key seen since the last key event.
    private var actors: [String: Actor] = [:]
    private let source: (any ProjectionSource)?
    /// For a court-export bundle: the streams it discloses.
    ///
    /// Rules that refer to a case, target or parent item
    /// outside them are not checked (FORMAT.md §11.5).
    private let disclosedStreams: Set<[UInt8]>?
    /// False when re-folding one stream alone: people named by its events are not looked up.
    private let checksPeople: Bool
    /// True when the state decides appends (it reads a store): a custody exception that history may hold (a
    /// version-1 receipt of a different seal recorded as intact) is refused then; a replay applies it as it was
    /// recorded and reports it (``takeExceptions()``), so that decide and verify name the same entries.
    private let decides: Bool
    /// Custody exceptions of the entries replayed since the last ``takeExceptions()``.
    private var exceptions: [String] = []

    /// A state that loads unknown records from `source`, or an empty in-memory state when nil.
    public init(source: (any ProjectionSource)? = nil) {
        self.init(source: source, disclosedStreams: nil)
    }

    /// An in-memory state for a replay that checks stored projections (`ledger verify`): each item's custody steps
    /// are kept as a ``StepChain``, not as rows, so ``rows(_:)`` of the custody steps is empty.
    public static func comparing() -> CustodyState {
        var state = CustodyState()
        state.chains = [:]
        return state
    }

    /// Each item's custody steps as a chain, by the item's id bytes, when the state was made by ``comparing()``.
    public var stepChains: [(item: String, chain: StepChain)] {
        (chains ?? [:]).map { ($0.key, $0.value) }.sorted { $0.item.precedesInBytes($1.item) }
    }

    /// True when made by ``comparing()``.
    public var keepsStepChains: Bool { chains != nil }

    /// An in-memory state for the partial history of a bundle that discloses `streams`.
    public init(disclosing streams: some Sequence<String>) {
        self.init(source: nil, disclosedStreams: Set(streams.map { Array($0.utf8) }))
    }

    /// An in-memory state for re-folding one stream's history alone, to compare the record it builds with a stored
    /// projection row: its events were decided on the whole state when they were appended, so the rules about
    /// other streams and about other people (whether a recipient was a registered person then) are not checked.
    public init(refolding stream: String) {
        self.init(source: nil, disclosedStreams: [Array(stream.utf8)], checksPeople: false)
    }

    private init(source: (any ProjectionSource)?, disclosedStreams: Set<[UInt8]>?, checksPeople: Bool = true) {
        self.source = source
        self.disclosedStreams = disclosedStreams
        self.checksPeople = checksPeople
        decides = source != nil
        // An append hands its changed rows back; a replay keeps everything and writes it at the end.
        let tracksChanges = source != nil
        people = RecordCache(tracksChanges: tracksChanges)
        cases = RecordCache(tracksChanges: tracksChanges)
        targets = RecordCache(tracksChanges: tracksChanges)
        items = RecordCache(tracksChanges: tracksChanges)
    }

    /// The custody exceptions the entries replayed since the last call revealed, in words; an entry with one was
    /// applied as recorded (its verdict unchanged) and is reported for review.
    public mutating func takeExceptions() -> [String] {
        guard !exceptions.isEmpty else { return [] }
        defer { exceptions = [] }
        return exceptions
    }

    /// False when the stream is outside a bundle's disclosure, so rules about it cannot be checked.
    private func isKnown(_ prefix: String, _ id: String) -> Bool {
        disclosedStreams?.contains(Array((prefix + id).utf8)) ?? true
    }

    // MARK: Lookups

    /// The person, if any of their keys was ever registered.
    public mutating func person(_ id: String) throws -> PersonRecord? { try people.get(id, from: source) }

    /// The case with this id.
    public mutating func caseRecord(_ id: String) throws -> CaseRecord? { try cases.get(id, from: source) }

    /// The target with this id.
    public mutating func target(_ id: String) throws -> TargetRecord? { try targets.get(id, from: source) }

    /// The item with this id.
    public mutating func item(_ id: String) throws -> ItemRecord? { try items.get(id, from: source) }

    /// The id of the target with this case, kind and value.
    private mutating func targetID(_ key: TargetKey) throws -> String? {
        if let cached = targetIndex[key] { return cached }
        guard source != nil else { return nil }
        let loaded = try source?.targetID(caseID: key.caseID, kind: key.kind, value: key.value)
        targetIndex[key] = .some(loaded)
        return loaded
    }

    /// Loads at once the records that deciding `events` will read, so that a large group needs no round trip per entry.
    ///
    /// Their items, targets and cases, and the owners of the target values they identify; what is not loaded here is
    /// loaded on first use, as without it. Nothing to do in a replay.
    public mutating func prefetch(_ events: some Sequence<(type: String, stream: String, data: JSONValue)>) throws {
        guard let source else { return }
        var itemIDs: [String] = []
        var targetIDs: [String] = []
        var caseIDs: [String] = []
        var targetKeys: [TargetKey] = []
        for body in events {
            let stream = body.stream.utf8
            if stream.starts(with: "item/".utf8) {
                itemIDs.append(String(body.stream.dropFirst(5)))
                if let parent = body.data.member("parent")?.stringValue { itemIDs.append(parent) }
                if let target = body.data.member("target")?.stringValue { targetIDs.append(target) }
            } else if stream.starts(with: "target/".utf8) {
                targetIDs.append(String(body.stream.dropFirst(7)))
                if body.type == CustodyEvents.targetIdentified, let caseID = body.data.member("case")?.stringValue,
                    let kind = body.data.member("kind")?.stringValue,
                    let value = body.data.member("value")?.stringValue
                {
                    targetKeys.append(TargetKey(caseID: caseID, kind: kind, value: value))
                }
            } else if stream.starts(with: "case/".utf8) {
                caseIDs.append(String(body.stream.dropFirst(5)))
            }
            if let caseID = body.data.member("case")?.stringValue { caseIDs.append(caseID) }
        }
        try items.prefetch(itemIDs, from: source)
        try targets.prefetch(targetIDs, from: source)
        try cases.prefetch(caseIDs, from: source)
        var seen = Set<TargetKey>()
        let missing = targetKeys.filter { targetIndex[$0] == nil && seen.insert($0).inserted }
        guard !missing.isEmpty else { return }
        let owners = try source.targetIDs(missing.map { ($0.caseID, $0.kind, $0.value) })
        for (key, owner) in zip(missing, owners) { targetIndex[key] = .some(owner) }
    }

    /// A target's case, kind and value: unique among targets (three strings hashed, not joined into a new one).
    struct TargetKey: Hashable {
        let caseID: String
        let kind: String
        let value: String
    }

    // MARK: Rows

    /// The rows changed since the last call (for a store to write in the append's transaction), and forgets them.
    public mutating func takeChangedRows() -> [ProjectionRow] {
        let changed = takeChangedKeys()
        return changed.keys.compactMap { row($0.table, key: $0.key) } + changed.steps
    }

    /// What ``takeChangedRows()`` returns, before the records are serialized.
    ///
    /// The keys of the changed records, table by table (people, cases, targets, items), each table's sorted, and the
    /// rows of the new custody steps; all forgotten here. A record's row is ``row(_:key:)``, which several threads
    /// may call at once while the state does not change, so that a large commit group's rows can be serialized on
    /// all cores.
    public mutating func takeChangedKeys() -> (keys: [(table: ProjectionTable, key: String)], steps: [ProjectionRow]) {
        var keys: [(table: ProjectionTable, key: String)] = []
        keys += people.takeChangedKeys().map { (ProjectionTable.people, $0) }
        keys += cases.takeChangedKeys().map { (ProjectionTable.cases, $0) }
        keys += targets.takeChangedKeys().map { (ProjectionTable.targets, $0) }
        keys += items.takeChangedKeys().map { (ProjectionTable.items, $0) }
        defer { steps = [] }
        return (keys, steps.map(\.row))
    }

    /// Every row of `table`, sorted by key (for comparing a replay with stored projections, and for rebuild).
    public func rows(_ table: ProjectionTable) -> [ProjectionRow] {
        switch table {
        case .people: people.rows
        case .cases: cases.rows
        case .targets: targets.rows
        case .items: items.rows
        case .custodySteps: steps.map(\.row).sorted { $0.key.precedesInBytes($1.key) }
        default: []
        }
    }

    /// The keys of the records of `table` held in memory, sorted (not the custody steps).
    public func keys(_ table: ProjectionTable) -> [String] {
        switch table {
        case .people: people.keys
        case .cases: cases.keys
        case .targets: targets.keys
        case .items: items.keys
        default: []
        }
    }

    /// The row of the record with this key (people, cases, targets, items); safe to call from several threads at
    /// once on a state no one changes.
    public func row(_ table: ProjectionTable, key: String) -> ProjectionRow? {
        switch table {
        case .people: people.row(key)
        case .cases: cases.row(key)
        case .targets: targets.row(key)
        case .items: items.row(key)
        default: nil
        }
    }

    /// Changes a case in place (the record is not copied, so neither are its figures).
    ///
    /// `change` cannot throw, so the case is always put back.
    private mutating func updateCase(_ id: String, _ change: (inout CaseRecord) -> Void) throws {
        guard let slot = try cases.slot(id, from: source) else { return }
        cases.modify(at: slot, change)
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
        people.save(record)
    }

    private mutating func revokeKey(_ body: EntryBody, keys: any KeyDirectory) throws {
        let keyID = String(body.stream.dropFirst(4))
        guard let key = try keys.key(keyID), var record = try person(key.person) else { return }
        for index in record.keys.indices where record.keys[index].keyID == keyID { record.keys[index].revoked = true }
        people.save(record)
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
        guard let index = try cases.slot(id, from: source), let status = cases.records.values[index].peek({ $0.status })
        else {
            throw CustodyViolation(.unknownCase, field: "data.case", "\(what): case \(id) does not exist")
        }
        guard status == "open" else {
            throw CustodyViolation(
                .caseClosed, field: "data.case",
                "\(what): case \(id) is closed (since seq \(cases.records.values[index]?.closedSeq ?? 0))")
        }
        return index
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
            cases.save(record)
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
            let override = data.member("override_reason")?.stringValue
            if body.version >= 2, override == nil {
                let open = [ItemStatus.inTransit, ItemStatus.checkedOut].compactMap { status in
                    record.figures.itemsByStatus[status].flatMap { $0 > 0 ? "\($0) \(status)" : nil }
                }
                guard open.isEmpty else {
                    throw CustodyViolation(
                        .itemsOpen, field: "data.override_reason",
                        "case \(id) has items \(open.joined(separator: " and ")); receive or check them in first, or "
                            + "state why the case closes anyway (override_reason)")
                }
            }
            record.status = "closed"
            record.closedSeq = body.seq
            record.closeOverride = override
        case CustodyEvents.entryCorrected:
            record.corrections.append(try correction(entry, log: record.log, actor: actor))
        case CustodyEvents.noteAdded: break
        default: throw CustodyViolation(.notApplicable, "\(body.type) does not apply to a case")
        }
        record.log.append(LogRef(seq: body.seq, type: body.type, person: actor.person))
        cases.save(record)
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
            if body.version >= 2, let country = data.member("country")?.stringValue,
                !CountryCodes.accepted.contains(country)
            {
                throw CustodyViolation(
                    .unknownCountry, field: "data.country",
                    "\(country) is not an ISO 3166-1 alpha-2 country code (EVENTS.md §8.1 lists them; NL, BR, XK, …)")
            }
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
                cases.modify(at: caseSlot) {
                    $0.figures.moveTarget(
                        category: record.category, country: record.country, from: nil, to: record.status)
                }
            }
            targets.save(record)
            return
        }
        // Moved out of its slot and back in place: no second hash lookup, nothing copied. Nothing below changes
        // `targets`, so the slot stays valid; every check throws before the record changes, so on a breach it goes
        // back as it was.
        guard let index = try targets.slot(id, from: source), var record = targets.records.values[index].take() else {
            throw CustodyViolation(.unknownTarget, "target \(id) was never identified")
        }
        defer { targets.records.values[index] = .some(record) }
        let before = record.status
        var caseSlot: RecordCache<CaseRecord>.Slot?
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
            if let caseSlot { cases.modify(at: caseSlot, move) } else { try updateCase(record.caseID, move) }
        }
        targets.markChanged(id)
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

    private mutating func requirePerson(_ id: String, as what: String) throws {
        guard checksPeople else { return }
        guard let record = try person(id), record.isActive else {
            throw CustodyViolation(.unknownPerson, "\(what) \(id) is not a registered person with an unrevoked key")
        }
    }

    private mutating func applyItem(_ entry: EntryBody, id: String, actor: Actor, keys: any KeyDirectory) throws {
        let body = entry
        let data = body.data
        var details = JSONObject()
        try Self.checkActTime(body)
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
        guard let record = try item(id) else { throw CustodyViolation(.unknownItem, "item \(id) was never seized") }
        let before = record.status
        if body.type != CustodyEvents.noteAdded && body.type != CustodyEvents.entryCorrected {
            guard record.status != ItemStatus.disposed && record.status != ItemStatus.lost else {
                throw CustodyViolation(.itemStatus, "item \(id) is \(record.status); nothing more can happen to it")
            }
        }
        var event = ItemEvent(record: record, body: body, actor: actor)
        // Version 2: when the act happened, if not when it was signed (a paper form entered later).
        if let occurred = data.member("occurred_at")?.stringValue { event.details.set("occurred_at", occurred) }
        switch body.type {
        case CustodyEvents.itemAcquired: try acquire(&event)
        case CustodyEvents.custodyReleased: try release(&event)
        case CustodyEvents.custodyReceived: try receive(&event)
        case CustodyEvents.custodyReleaseCancelled: try cancelRelease(&event)
        case CustodyEvents.custodyReceiptRefused: try refuseReceipt(&event)
        case CustodyEvents.custodyLost: try reportLost(&event)
        case CustodyEvents.custodyReassigned: try reassign(&event)
        case CustodyEvents.itemCheckedOut: try checkOut(&event)
        case CustodyEvents.itemCheckedIn: try checkIn(&event)
        case CustodyEvents.itemStored: try store(&event)
        case CustodyEvents.itemSealed: try seal(&event)
        case CustodyEvents.itemUnsealed: try unseal(&event)
        case CustodyEvents.itemExamined: try examine(&event)
        case CustodyEvents.itemDisposed: try dispose(&event, keys: keys)
        case CustodyEvents.entryCorrected: try correctItem(&event)
        case CustodyEvents.noteAdded: try noteOnItem(&event)
        default: throw CustodyViolation(.notApplicable, "\(body.type) does not apply to an item")
        }
        if event.record.status != before {
            let after = event.record.status
            try updateCase(event.record.caseID) { $0.figures.moveItem(from: before, to: after) }
        }
        addStep(&event.record, entry, actor: actor, details: event.details)
    }

    /// `item.acquired`: a forensic image by the holder or the examiner who checked the item out.
    private mutating func acquire(_ event: inout ItemEvent) throws {
        try event.require(ItemStatus.inCustody, ItemStatus.checkedOut, for: "an acquisition")
        try event.requireHolder("an acquisition", orExaminer: true)
        try requireOpenCase(event.record.caseID, for: "an acquisition")
        var summary = JSONObject()
        summary.set(
            "images",
            JSONValue.array(
                (event.data.member("images")?.arrayValue ?? []).map { image in
                    var object = JSONObject()
                    object.set("name", image.member("name")?.stringValue)
                    object.set("sha256", Self.sha256(of: image.member("hashes")))
                    object.set("size", image.member("size")?.integerValue)
                    return object.value
                }))
        summary.set("seq", event.body.seq)
        Self.setSourceHashes(event.data.member("source_hashes"), in: &summary)
        summary.set("tool", event.data.member("tool")?.stringValue)
        summary.set("verified", event.data.member("verified") == .bool(true))
        event.record.acquisitions.append(summary.value)
        event.details.set("tool", event.data.member("tool")?.stringValue)
        event.details.set("verified", event.data.member("verified") == .bool(true))
        Self.setSourceHashes(event.data.member("source_hashes"), in: &event.details)
    }

    /// `custody.released`: the holder sends the item, sealed as it is, to a registered person.
    private mutating func release(_ event: inout ItemEvent) throws {
        try event.require(ItemStatus.inCustody, for: "a release")
        try event.requireHolder("a release")
        let to = event.data.member("to")?.stringValue ?? ""
        try requirePerson(to, as: "the recipient")
        guard !to.hasSameBytes(as: event.record.holder) else {
            throw CustodyViolation(.samePerson, field: "data.to", "\(to) already holds item \(event.id)")
        }
        let stated = event.data.member("seal")?.stringValue
        if stated != event.record.seal {
            throw CustodyViolation(
                .sealMismatch, field: "data.seal",
                "the release states seal \(stated ?? "none") but item \(event.id) has seal \(event.record.seal ?? "none"); "
                    + "record item.unsealed or item.sealed first")
        }
        event.record.status = ItemStatus.inTransit
        event.record.pendingTo = to
        event.details.set("to", to)
        event.details.set("purpose", event.data.member("purpose")?.stringValue)
        event.details.set("seal", stated)
        event.details.set("courier", event.data.member("courier")?.stringValue)
        event.details.set("tracking", event.data.member("tracking")?.stringValue)
    }

    /// `custody.received`: the named recipient takes the item and records the seal check.
    private mutating func receive(_ event: inout ItemEvent) throws {
        try event.require(ItemStatus.inTransit, for: "a receipt")
        guard event.record.pendingTo?.hasSameBytes(as: event.me) == true else {
            throw CustodyViolation(
                .notRecipient,
                "only the named recipient \(event.record.pendingTo ?? "?") may receive item \(event.id); \(event.me) acted"
            )
        }
        let observed = event.data.member("seal")?.stringValue
        let intact = event.data.member("seal_intact") == .bool(true)
        let released = event.record.seal
        let matches = observed == released
        if intact && !matches {
            // A seal that is not the one released is never intact (EVENTS.md §4.1).
            let violation = CustodyViolation.sealNotAsReleased(item: event.id, stated: observed, released: released)
            guard !decides else { throw violation }
            exceptions.append(violation.description)
        }
        event.details.set("from", event.record.holder)
        event.details.set("seal", observed)
        event.details.set("seal_intact", intact)
        event.details.set("seal_check", !intact ? "broken" : (matches ? "intact" : "mismatch"))
        event.details.set("condition", event.data.member("condition")?.stringValue)
        event.details.set("location", event.data.member("location")?.stringValue)
        if !intact || !matches { event.record.sealIncident = true }
        if !intact { event.record.seal = nil }
        event.record.status = ItemStatus.inCustody
        event.record.holder = event.me
        event.record.pendingTo = nil
        if let location = event.data.member("location")?.stringValue { event.record.location = location }
    }

    /// `custody.release-cancelled`: the sender takes back an item in transit.
    private mutating func cancelRelease(_ event: inout ItemEvent) throws {
        try event.require(ItemStatus.inTransit, for: "a cancellation")
        try event.requireHolder("a cancellation")
        event.details.set("reason", event.data.member("reason")?.stringValue)
        event.record.status = ItemStatus.inCustody
        event.record.pendingTo = nil
    }

    /// `custody.receipt-refused`: the named recipient refuses; the courier brings it back to the sender.
    private mutating func refuseReceipt(_ event: inout ItemEvent) throws {
        try event.require(ItemStatus.inTransit, for: "a refusal")
        guard event.record.pendingTo?.hasSameBytes(as: event.me) == true else {
            throw CustodyViolation(
                .notRecipient, "only the named recipient \(event.record.pendingTo ?? "?") may refuse item \(event.id)")
        }
        event.details.set("reason", event.data.member("reason")?.stringValue)
        event.details.set("to", event.record.holder)
        // The courier brings it back: in transit to the person who released it.
        event.record.pendingTo = event.record.holder
    }

    /// `custody.lost`: the sender, the recipient or a supervisor reports an item in transit lost.
    private mutating func reportLost(_ event: inout ItemEvent) throws {
        try event.require(ItemStatus.inTransit, for: "a loss")
        guard event.isHolder || event.record.pendingTo?.hasSameBytes(as: event.me) == true || event.actor.isSupervisor()
        else {
            throw CustodyViolation(
                .notHolder, "only the sender, the recipient or a supervisor may report item \(event.id) lost")
        }
        event.details.set("details", event.data.member("details")?.stringValue)
        event.record.status = ItemStatus.lost
    }

    /// `custody.reassigned`: a supervisor names a new holder (or, in transit, a new recipient).
    private mutating func reassign(_ event: inout ItemEvent) throws {
        let to = event.data.member("to")?.stringValue ?? ""
        try requirePerson(to, as: "the new holder")
        event.details.set("to", to)
        event.details.set("reason", event.data.member("reason")?.stringValue)
        if event.record.status == ItemStatus.inTransit {
            event.details.set("role", "recipient")
            event.record.pendingTo = to
        } else {
            event.details.set("from", event.record.holder)
            event.record.holder = to
        }
    }

    /// `item.checked-out`: the holder lends the item to an examiner.
    private mutating func checkOut(_ event: inout ItemEvent) throws {
        try event.require(ItemStatus.inCustody, for: "a check-out")
        try event.requireHolder("a check-out")
        let to = event.data.member("to")?.stringValue ?? ""
        try requirePerson(to, as: "the examiner")
        event.record.status = ItemStatus.checkedOut
        event.record.checkedOutTo = to
        event.details.set("to", to)
        event.details.set("purpose", event.data.member("purpose")?.stringValue)
        event.details.set("due", event.data.member("due")?.stringValue)
    }

    /// `item.checked-in`: the item comes back from examination.
    private mutating func checkIn(_ event: inout ItemEvent) throws {
        try event.require(ItemStatus.checkedOut, for: "a check-in")
        try event.requireHolder("a check-in", orExaminer: true)
        event.record.status = ItemStatus.inCustody
        event.record.checkedOutTo = nil
        if let location = event.data.member("location")?.stringValue { event.record.location = location }
        event.details.set("location", event.data.member("location")?.stringValue)
        event.details.set("condition", event.data.member("condition")?.stringValue)
    }

    /// `item.stored`: the holder moves the item to a storage location.
    private mutating func store(_ event: inout ItemEvent) throws {
        try event.require(ItemStatus.inCustody, for: "storing")
        try event.requireHolder("storing")
        event.record.location = event.data.member("location")?.stringValue ?? event.record.location
        event.details.set("location", event.record.location)
    }

    /// `item.sealed`: an unsealed item gets a seal.
    private mutating func seal(_ event: inout ItemEvent) throws {
        try event.require(ItemStatus.inCustody, ItemStatus.checkedOut, for: "sealing")
        try event.requireHolder("sealing", orExaminer: true)
        guard event.record.seal == nil else {
            throw CustodyViolation(
                .alreadySealed, field: "data.seal",
                "item \(event.id) is already sealed with \(event.record.seal ?? ""); unseal it first")
        }
        event.record.seal = event.data.member("seal")?.stringValue
        event.details.set("seal", event.record.seal)
        event.details.set("reason", event.data.member("reason")?.stringValue)
    }

    /// `item.unsealed`: the item's current seal is broken on purpose.
    private mutating func unseal(_ event: inout ItemEvent) throws {
        try event.require(ItemStatus.inCustody, ItemStatus.checkedOut, for: "unsealing")
        try event.requireHolder("unsealing", orExaminer: true)
        let seal = event.data.member("seal")?.stringValue
        guard let current = event.record.seal, seal?.hasSameBytes(as: current) == true else {
            throw CustodyViolation(
                .sealMismatch, field: "data.seal",
                "item \(event.id) has seal \(event.record.seal ?? "none"), not \(seal ?? "")"
            )
        }
        event.record.seal = nil
        event.details.set("seal", seal)
        event.details.set("reason", event.data.member("reason")?.stringValue)
    }

    /// `item.examined`: an examination report by the holder or the examiner.
    private mutating func examine(_ event: inout ItemEvent) throws {
        try event.require(ItemStatus.inCustody, ItemStatus.checkedOut, for: "an examination")
        try event.requireHolder("an examination", orExaminer: true)
        try requireOpenCase(event.record.caseID, for: "an examination")
        event.details.set("report_reference", event.data.member("report_reference")?.stringValue)
        event.details.set("summary", event.data.member("summary")?.stringValue)
    }

    /// `item.disposed`: the holder or a supervisor disposes of the item, optionally witnessed.
    private mutating func dispose(_ event: inout ItemEvent, keys: any KeyDirectory) throws {
        try event.require(ItemStatus.inCustody, for: "a disposal")
        try event.requireHolder("a disposal", orSupervisor: true)
        if let witness = event.data.member("witness_key")?.stringValue {
            guard let witnessKey = try keys.key(witness), witnessKey.person != event.me else {
                throw CustodyViolation(
                    .samePerson, field: "data.witness_key",
                    "the witness must be another person than the one disposing")
            }
            event.details.set("witness", witnessKey.person)
        }
        let method = event.data.member("method")?.stringValue
        if event.body.version >= 2, method == "destroyed", event.data.member("witness_key") == nil {
            throw CustodyViolation(
                .witnessRequired, field: "data.witness_key",
                "destroying item \(event.id) needs a witnessing officer who co-signs (witness_key)")
        }
        event.record.status = ItemStatus.disposed
        event.details.set("method", method)
        event.details.set("authority", event.data.member("authority")?.stringValue)
    }

    /// `entry.corrected` on an item's stream: descriptive text only, beside the original.
    private mutating func correctItem(_ event: inout ItemEvent) throws {
        let fix = try correction(event.body, log: event.record.log, actor: event.actor)
        event.record.corrections.append(fix)
        event.details.set("corrects", fix.corrects)
        event.details.set("field", fix.field)
        event.details.set("value", fix.value)
    }

    /// `note.added` on an item's stream.
    private mutating func noteOnItem(_ event: inout ItemEvent) throws {
        event.details.set("text", event.data.member("text")?.stringValue)
    }

    /// One event applied to an item: the record as it changes, who acted, and the custody step's details.
    private struct ItemEvent {
        var record: ItemRecord
        let body: EntryBody
        let actor: Actor
        var details = JSONObject()
        /// The person who acted.
        let me: String
        /// The actor held the item when the event began.
        let isHolder: Bool
        /// The actor is the examiner the item was checked out to when the event began.
        let isExaminer: Bool

        init(record: ItemRecord, body: EntryBody, actor: Actor) {
            self.record = record
            self.body = body
            self.actor = actor
            me = actor.person
            isHolder = record.holder.hasSameBytes(as: actor.person)
            isExaminer =
                record.status == ItemStatus.checkedOut && record.checkedOutTo?.hasSameBytes(as: actor.person) == true
        }

        var id: String { record.id }
        var data: JSONValue { body.data }

        /// The item must be in one of these states for `what`.
        func require(_ status: String..., for what: String) throws {
            guard status.contains(record.status) else {
                throw CustodyViolation(
                    .itemStatus,
                    "\(what) needs the item \(status.joined(separator: " or ")); item \(id) is \(record.status)")
            }
        }

        /// Only the holder (or, where allowed, the examiner or a supervisor) may record `what`.
        func requireHolder(_ what: String, orExaminer: Bool = false, orSupervisor: Bool = false) throws {
            guard isHolder || (orExaminer && isExaminer) || (orSupervisor && actor.isSupervisor()) else {
                let who = orExaminer && record.checkedOutTo != nil ? " or \(record.checkedOutTo ?? "")" : ""
                throw CustodyViolation(
                    .notHolder, "only the holder \(record.holder)\(who) may record \(what); \(me) acted")
            }
        }
    }

    private mutating func addStep(_ record: inout ItemRecord, _ entry: EntryBody, actor: Actor, details: JSONObject) {
        let body = entry
        record.steps += 1
        record.lastSeq = body.seq
        record.log.append(LogRef(seq: body.seq, type: body.type, person: actor.person))
        let step = CustodyStep(
            item: record.id, number: record.steps, seq: body.seq, time: body.time, type: body.type,
            by: actor.person, byAgency: actor.agency, details: details.value)
        if chains != nil {
            chains?[record.id, default: StepChain()].add(step.row)
        } else {
            steps.append(step)
        }
        items.save(record)
    }

    /// Version 2: an act recorded with `occurred_at` cannot have happened after its statement was signed (beyond the
    /// clock skew FORMAT.md §12.5 allows).
    private static func checkActTime(_ body: EntryBody) throws {
        guard body.version >= 2, let occurred = body.data.member("occurred_at")?.stringValue,
            let act = LedgerTime.milliseconds(rfc3339: occurred), case let signedAt = body.signedAt,
            let signed = LedgerTime.milliseconds(signedAt)
        else { return }
        guard act <= signed + StatementRules.clockSkewMilliseconds else {
            throw CustodyViolation(
                .actAfterSigning, field: "data.occurred_at",
                "the act is dated \(occurred), after the statement was signed (\(signedAt))")
        }
    }

    private static func sha256(of hashes: JSONValue?) -> String? { hash("sha256", of: hashes) }

    private static func hash(_ alg: String, of hashes: JSONValue?) -> String? {
        hashes?.arrayValue?.first { $0.member("alg") == .string(alg) }?.member("value")?.stringValue
    }

    /// `source_sha256`; a version-2 acquisition may report only MD5 and SHA-1 (as ewfacquire and FTK Imager do),
    /// shown then as `source_sha1` and `source_md5`.
    private static func setSourceHashes(_ hashes: JSONValue?, in object: inout JSONObject) {
        if let sha256 = sha256(of: hashes) {
            object.set("source_sha256", sha256)
            return
        }
        object.set("source_sha1", hash("sha1", of: hashes))
        object.set("source_md5", hash("md5", of: hashes))
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
        guard original.type != CustodyEvents.entryCorrected,
            let rule = TypeTable.custody.rule(original.type, version: entry.version),
            rule.correctable.contains(where: { $0.hasSameBytes(as: field) }), let schema = rule.data.field(field)
        else {
            let allowed = TypeTable.custody.rule(original.type, version: entry.version)?.correctable ?? []
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
