import LedgerCore
import LedgerCrypto

/// Event type names of the custody domain (docs/EVENTS.md).
public enum CustodyEvents {
    /// Opens a new case: its title, legal basis and agencies (docs/EVENTS.md §2).
    public static let caseOpened = "case.opened"
    /// Adds an agency to an open case.
    public static let caseAgencyJoined = "case.agency-joined"
    /// Closes an open case, with the reason.
    public static let caseClosed = "case.closed"

    /// Records a new target (an ip, domain, url or server) of an open case, its value normalized (docs/EVENTS.md §3).
    public static let targetIdentified = "target.identified"
    /// Confirms an identified or reappeared target.
    public static let targetVerified = "target.verified"
    /// Closes an active target as a false positive, with the reason.
    public static let targetFalsePositive = "target.false-positive"
    /// Records that an abuse report about an active target was sent: to whom, and its reference.
    public static let targetNotified = "target.notified"
    /// Records a takedown request for an active target under a legal instrument.
    public static let takedownRequested = "takedown.requested"
    /// Records that an active target was taken down: how and when.
    public static let takedownConfirmed = "takedown.confirmed"
    /// Records that a takedown will not happen, with one of ``CustodyTypeTable/notActionedReasons``.
    public static let takedownNotActioned = "takedown.not-actioned"
    /// Reopens a taken-down target that was seen again.
    public static let targetReappeared = "target.reappeared"

    /// Records a new evidence item of an open case, seized by the actor's person, who then holds it (docs/EVENTS.md §4).
    public static let itemSeized = "item.seized"
    /// Records a forensic acquisition of an item: the tool, the source's hashes and the image files'.
    public static let itemAcquired = "item.acquired"
    /// Sends an item in custody to another person; it is in transit until received, cancelled, refused or lost.
    public static let custodyReleased = "custody.released"
    /// The named recipient takes an item in transit into custody, saying whether its seal was intact.
    public static let custodyReceived = "custody.received"
    /// The sender takes back an item in transit.
    public static let custodyReleaseCancelled = "custody.release-cancelled"
    /// The named recipient refuses an item in transit; it travels back to the sender.
    public static let custodyReceiptRefused = "custody.receipt-refused"
    /// Reports an item in transit lost.
    public static let custodyLost = "custody.lost"
    /// A supervisor names a new holder (or, for an item in transit, a new recipient) without a handover.
    public static let custodyReassigned = "custody.reassigned"
    /// The holder lends an item in custody to an examiner, keeping custody.
    public static let itemCheckedOut = "item.checked-out"
    /// A checked-out item comes back to its holder.
    public static let itemCheckedIn = "item.checked-in"
    /// The holder records where an item in custody is kept now.
    public static let itemStored = "item.stored"
    /// Puts a seal on an unsealed item; its number becomes the item's current seal.
    public static let itemSealed = "item.sealed"
    /// Breaks the item's current seal, with the reason.
    public static let itemUnsealed = "item.unsealed"
    /// Records an examination of an item: a summary and the report's reference.
    public static let itemExamined = "item.examined"
    /// Disposes of an item in custody (returned to its owner, destroyed or released): its final status.
    public static let itemDisposed = "item.disposed"

    /// Corrects one descriptive data member of an earlier entry of the same stream; the original stays in the log.
    public static let entryCorrected = "entry.corrected"
    /// A free-text note on a case, target or item.
    public static let noteAdded = "note.added"
}

/// The roles of the custody domain (FORMAT.md §4.2), beside the core's `admin`.
extension Roles {
    /// Reads and verifies; signs no domain events.
    public static let auditor = "auditor"
    /// Runs cases, identifies and verifies targets, and handles evidence items.
    public static let caseOfficer = "case-officer"
    /// Holds, moves and handles evidence items.
    public static let custodian = "custodian"
    /// Handles evidence items as a custodian does; items are checked out to examiners for examination.
    public static let examiner = "examiner"
    /// Runs cases, reassigns custody, disposes of items and reports them lost; may correct anyone's entries.
    ///
    /// The one domain role that may also sign a `ledger.note`.
    public static let supervisor = "supervisor"
    /// Handles targets: identifies them, notifies providers and has them taken down.
    public static let takedownOfficer = "takedown-officer"
    /// Every role name a v1 custody ledger knows.
    public static let all = [
        "admin", "auditor", "case-officer", "custodian", "examiner", "supervisor", "takedown-officer",
    ]
}

extension TypeTable {
    /// The custody ledger's type table (FORMAT.md §5): the core's rows, then the custody domain's; a version-2
    /// ledger follows ``CustodyTypeTable/version2Rules`` instead of the rows of the same types.
    public static let custody = TypeTable(
        roles: Roles.all, noteRoles: [Roles.supervisor], domainRows: CustodyTypeTable.rules,
        version2Rows: CustodyTypeTable.version2Rules)
}

extension Finding.Category {
    /// Breaks a custody rule (docs/EVENTS.md): written by a tool that skipped the decision step.
    public static let custody = Finding.Category(rawValue: "custody")
}

/// The custody domain's rows of the type table (FORMAT.md §5, docs/EVENTS.md).
///
/// Roles: `auditor` signs nothing; `admin` manages keys only. Every data schema is version 1.
public enum CustodyTypeTable {
    static let caseStream = StreamPattern.localStream(prefix: "case/")
    static let targetStream = StreamPattern.localStream(prefix: "target/")
    static let itemStream = StreamPattern.localStream(prefix: "item/")

    /// People who hold, move and handle evidence items.
    public static let handlers: Set<String> = [Roles.caseOfficer, Roles.custodian, Roles.examiner]
    /// Every role that may sign domain events.
    public static let domainRoles: Set<String> = [
        Roles.caseOfficer, Roles.custodian, Roles.examiner, Roles.supervisor, Roles.takedownOfficer,
    ]
    private static let caseRoles: Set<String> = [Roles.caseOfficer, Roles.supervisor]
    private static let targetRoles: Set<String> = [Roles.takedownOfficer, Roles.caseOfficer]

    private static func name(_ max: Int = 200) -> ValueSchema { .text(max: max) }
    private static func free(_ max: Int = 2000) -> ValueSchema { .freeText(max: max) }
    private static func optional(_ name: String, _ schema: ValueSchema) -> FieldSchema {
        FieldSchema(name, schema, required: false)
    }
    private static func schema(_ fields: FieldSchema...) -> DataSchema { DataSchema(version: 1, fields) }
    /// Version 2: when a physical act happened, if it was recorded later (from a paper form); a timestamp.
    private static let occurredAt = optional("occurred_at", .timestamp)

    /// The `kind` values of `target.identified`.
    public static let targetKinds = TargetKind.allCases.map(\.rawValue)
    /// The `category` values of `target.identified`.
    public static let targetCategories = ["phishing", "ransomware", "infostealer", "malware-c2", "other"]
    /// The `method` values of `takedown.confirmed`.
    public static let takedownMethods = ["suspended", "null-routed", "sinkholed", "domain-hold", "seized"]
    /// The `reason` values of `takedown.not-actioned`.
    public static let notActionedReasons = ["jurisdiction", "shared-hosting", "no-response", "other"]
    /// The `kind` values of `item.seized`.
    public static let itemKinds = ["laptop", "phone", "hard-disk", "server", "storage-media", "other"]
    /// The `method` values of `item.disposed`.
    public static let disposalMethods = ["returned-to-owner", "destroyed", "released"]

    /// A forensic image file: one segment of an acquisition.
    static let imageSegment = ValueSchema.object([
        FieldSchema("name", .text(max: 255)), FieldSchema("size", .integer(min: 0, max: JSONValue.maxSafeInteger)),
        FieldSchema("hashes", .hashes),
    ])

    /// Every custody row.
    public static let rules: [EventTypeRule] = [
        EventTypeRule(
            type: CustodyEvents.caseOpened, stream: caseStream, actorRoles: caseRoles,
            data: schema(
                FieldSchema("title", name()), FieldSchema("legal_basis", free()),
                FieldSchema("agencies", .list(of: name(), minCount: 1)), optional("summary", free(10_000))),
            correctable: ["title", "legal_basis", "summary"]),
        EventTypeRule(
            type: CustodyEvents.caseAgencyJoined, stream: caseStream, actorRoles: caseRoles,
            data: schema(FieldSchema("agency", name()), optional("legal_basis", free())),
            correctable: ["legal_basis"]),
        EventTypeRule(
            type: CustodyEvents.caseClosed, stream: caseStream, actorRoles: caseRoles,
            data: schema(FieldSchema("reason", free())), correctable: ["reason"]),

        EventTypeRule(
            type: CustodyEvents.targetIdentified, stream: targetStream, actorRoles: targetRoles,
            data: schema(
                FieldSchema("case", .localID), FieldSchema("kind", .oneOf(targetKinds)),
                FieldSchema("value", .text(max: 2048)), FieldSchema("category", .oneOf(targetCategories)),
                FieldSchema("country", .country), optional("hosting_provider", name()),
                optional("asn", .integer(min: 1, max: 4_294_967_295)), FieldSchema("source", name())),
            correctable: ["hosting_provider", "source"]),
        EventTypeRule(
            type: CustodyEvents.targetVerified, stream: targetStream, actorRoles: targetRoles,
            data: schema(optional("note", free())), correctable: ["note"]),
        EventTypeRule(
            type: CustodyEvents.targetFalsePositive, stream: targetStream, actorRoles: targetRoles,
            data: schema(FieldSchema("reason", free())), correctable: ["reason"]),
        EventTypeRule(
            type: CustodyEvents.targetNotified, stream: targetStream, actorRoles: [Roles.takedownOfficer],
            data: schema(FieldSchema("recipient", name()), FieldSchema("reference", name())),
            correctable: ["recipient", "reference"]),
        EventTypeRule(
            type: CustodyEvents.takedownRequested, stream: targetStream, actorRoles: [Roles.takedownOfficer],
            data: schema(FieldSchema("recipient", name()), FieldSchema("legal_instrument", name())),
            correctable: ["recipient", "legal_instrument"]),
        EventTypeRule(
            type: CustodyEvents.takedownConfirmed, stream: targetStream, actorRoles: [Roles.takedownOfficer],
            data: schema(
                FieldSchema("method", .oneOf(takedownMethods)), FieldSchema("occurred_at", .timestamp),
                optional("reference", name())),
            correctable: ["reference"]),
        EventTypeRule(
            type: CustodyEvents.takedownNotActioned, stream: targetStream, actorRoles: [Roles.takedownOfficer],
            data: schema(FieldSchema("reason", .oneOf(notActionedReasons)), optional("details", free())),
            correctable: ["details"]),
        EventTypeRule(
            type: CustodyEvents.targetReappeared, stream: targetStream, actorRoles: targetRoles,
            data: schema(FieldSchema("observed_at", .timestamp), optional("details", free())),
            correctable: ["details"]),

        EventTypeRule(
            type: CustodyEvents.itemSeized, stream: itemStream, actorRoles: handlers,
            coSigner: .dataKey("witness_key"),
            data: schema(
                FieldSchema("case", .localID), FieldSchema("exhibit", name(64)),
                FieldSchema("kind", .oneOf(itemKinds)), FieldSchema("description", free()),
                optional("serial", name(100)), optional("imei", name(20)), optional("iccid", name(22)),
                optional("device_state", name()), optional("seal", name(100)), FieldSchema("location", name()),
                FieldSchema("occurred_at", .timestamp), FieldSchema("seized_from", name()),
                FieldSchema("legal_authority", name()), optional("target", .localID), optional("parent", .localID),
                optional("witness_key", .keyID), optional("photos", .list(of: .hashes, minCount: 1))),
            correctable: [
                "description", "serial", "imei", "iccid", "device_state", "location", "seized_from", "legal_authority",
            ]),
        EventTypeRule(
            type: CustodyEvents.itemAcquired, stream: itemStream, actorRoles: handlers,
            data: schema(
                FieldSchema("tool", name()), FieldSchema("tool_version", name(100)), optional("write_blocker", name()),
                FieldSchema("source_hashes", .hashes), FieldSchema("images", .list(of: imageSegment, minCount: 1)),
                FieldSchema("verified", .boolean), optional("notes", free())),
            correctable: ["write_blocker", "notes"]),
        EventTypeRule(
            type: CustodyEvents.custodyReleased, stream: itemStream, actorRoles: handlers,
            data: schema(
                FieldSchema("to", .personID), FieldSchema("purpose", free()), optional("seal", name(100)),
                optional("courier", name()), optional("tracking", name())),
            correctable: ["purpose", "courier", "tracking"]),
        EventTypeRule(
            type: CustodyEvents.custodyReceived, stream: itemStream, actorRoles: handlers,
            data: schema(
                optional("seal", name(100)), FieldSchema("seal_intact", .boolean), optional("condition", free()),
                optional("location", name())),
            correctable: ["condition", "location"]),
        EventTypeRule(
            type: CustodyEvents.custodyReleaseCancelled, stream: itemStream, actorRoles: handlers,
            data: schema(FieldSchema("reason", free())), correctable: ["reason"]),
        EventTypeRule(
            type: CustodyEvents.custodyReceiptRefused, stream: itemStream, actorRoles: handlers,
            data: schema(FieldSchema("reason", free())), correctable: ["reason"]),
        EventTypeRule(
            type: CustodyEvents.custodyLost, stream: itemStream, actorRoles: handlers.union([Roles.supervisor]),
            data: schema(FieldSchema("details", free())), correctable: ["details"]),
        EventTypeRule(
            type: CustodyEvents.custodyReassigned, stream: itemStream, actorRoles: [Roles.supervisor],
            data: schema(FieldSchema("to", .personID), FieldSchema("reason", free())), correctable: ["reason"]),
        EventTypeRule(
            type: CustodyEvents.itemCheckedOut, stream: itemStream, actorRoles: handlers,
            data: schema(FieldSchema("to", .personID), FieldSchema("purpose", free())), correctable: ["purpose"]),
        EventTypeRule(
            type: CustodyEvents.itemCheckedIn, stream: itemStream, actorRoles: handlers,
            data: schema(optional("location", name()), optional("condition", free())),
            correctable: ["location", "condition"]),
        EventTypeRule(
            type: CustodyEvents.itemStored, stream: itemStream, actorRoles: handlers,
            data: schema(FieldSchema("location", name())), correctable: ["location"]),
        EventTypeRule(
            type: CustodyEvents.itemSealed, stream: itemStream, actorRoles: handlers,
            data: schema(FieldSchema("seal", name(100)), optional("reason", free())), correctable: ["reason"]),
        EventTypeRule(
            type: CustodyEvents.itemUnsealed, stream: itemStream, actorRoles: handlers,
            data: schema(FieldSchema("seal", name(100)), FieldSchema("reason", free())), correctable: ["reason"]),
        EventTypeRule(
            type: CustodyEvents.itemExamined, stream: itemStream, actorRoles: handlers,
            data: schema(FieldSchema("summary", free(10_000)), FieldSchema("report_reference", name())),
            correctable: ["summary", "report_reference"]),
        EventTypeRule(
            type: CustodyEvents.itemDisposed, stream: itemStream, actorRoles: handlers.union([Roles.supervisor]),
            coSigner: .dataKey("witness_key"),
            data: schema(
                FieldSchema("method", .oneOf(disposalMethods)), FieldSchema("authority", name()),
                optional("recipient_reference", name()), optional("details", free()),
                optional("witness_key", .keyID)),
            correctable: ["recipient_reference", "details"]),

        EventTypeRule(
            type: CustodyEvents.entryCorrected, stream: .anyOf([caseStream, targetStream, itemStream]),
            actorRoles: domainRoles,
            data: schema(
                FieldSchema("corrects", .integer(min: 1, max: JSONValue.maxSafeInteger)),
                FieldSchema("field", .text(max: 64)), FieldSchema("value", free(10_000)),
                FieldSchema("reason", free()))),
        EventTypeRule(
            type: CustodyEvents.noteAdded, stream: .anyOf([caseStream, targetStream, itemStream]),
            actorRoles: domainRoles, data: schema(FieldSchema("text", free(10_000)))),
    ]
}

extension CustodyTypeTable {
    /// The rows a version-2 ledger follows instead of the version-1 rows of the same types (docs/EVENTS.md §8):
    /// every physical act may say when it happened (`occurred_at`); an acquisition's source hashes may be MD5 and
    /// SHA-1 alone; a check-out may carry a due date; a case closing with items out may state why.
    ///
    /// Only members added as optional and relaxed bounds: every version-2 ledger an earlier release wrote follows
    /// these rows too. Stricter rules are custody rules of the fold (findings in a replay, never integrity failures).
    public static let version2Rules: [EventTypeRule] = [
        version2(CustodyEvents.caseClosed, adding: optional("override_reason", free()), actedAt: false),
        version2(CustodyEvents.itemAcquired, replacing: FieldSchema("source_hashes", .sourceHashes)),
        version2(CustodyEvents.custodyReleased),
        version2(CustodyEvents.custodyReceived),
        version2(CustodyEvents.custodyReleaseCancelled),
        version2(CustodyEvents.custodyReceiptRefused),
        version2(CustodyEvents.custodyLost),
        version2(CustodyEvents.itemCheckedOut, adding: optional("due", .timestamp)),
        version2(CustodyEvents.itemCheckedIn),
        version2(CustodyEvents.itemStored),
        version2(CustodyEvents.itemSealed),
        version2(CustodyEvents.itemUnsealed),
        version2(CustodyEvents.itemExamined),
        version2(CustodyEvents.itemDisposed),
    ]

    /// The version-1 row of `type` as version 2 has it: the same stream, roles, signers and correctable members, with
    /// `replacing` in place of the members of the same names, then `adding` and (for a physical act) `occurred_at`.
    private static func version2(
        _ type: String, replacing: FieldSchema? = nil, adding: FieldSchema? = nil, actedAt: Bool = true
    ) -> EventTypeRule {
        // Every type named above has a version-1 row, so the lookup cannot fail.
        let base = rules.first { $0.type == type } ?? rules[0]
        var fields = base.data.fields.map { field in replacing.flatMap { $0.name == field.name ? $0 : nil } ?? field }
        fields += [adding, actedAt ? occurredAt : nil].compactMap { $0 }
        return EventTypeRule(
            type: type, stream: base.stream, actorRoles: base.actorRoles, subjectKeyMayAct: base.subjectKeyMayAct,
            coSigner: base.coSigner, data: DataSchema(version: 2, fields), correctable: base.correctable)
    }
}

/// Stream names of the custody domain (FORMAT.md §5): one stream per case, target and item.
public enum CustodyStreams {
    /// `item/<id>`.
    public static func item(_ id: String) -> String { "item/" + id }
    /// `target/<id>`.
    public static func target(_ id: String) -> String { "target/" + id }
    /// `case/<id>`.
    public static func caseStream(_ id: String) -> String { "case/" + id }
}
