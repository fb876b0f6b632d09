import CustodyDomain
import LedgerCore
import LedgerCrypto

/// The bundle's human-readable report (FORMAT.md §11.6): a self-contained, printable HTML page rendered from the
/// disclosed entries and the checkpoint alone, so that `ledger verify-bundle` can re-render it byte for byte.
public enum CustodyReport {
    /// The page as `version` renders it (new exports: the current one), as UTF-8 bytes.
    ///
    /// Any change to the bytes rendered from the same entries needs a new `ReportVersion`, and every earlier
    /// one keeps rendering as it did, so that `ledger verify-bundle` can re-render old bags (FORMAT.md §11.6).
    public static func render(
        _ ledger: DisclosedLedger, custody: DisclosedCustody, version: ReportVersion = .current
    ) -> [UInt8] {
        var page = Page(ledger: ledger, state: custody.state, findings: custody.findings, version: version)
        page.build()
        return Array(page.page.utf8)
    }

    /// The generator name of the rendering new exports use.
    public static let version = ReportVersion.current.generator

    /// Paper-form names of the actions.
    static let actionNames: [String: String] = [
        CustodyEvents.itemSeized: "Seized", CustodyEvents.itemAcquired: "Forensic image made",
        CustodyEvents.custodyReleased: "Released for transfer", CustodyEvents.custodyReceived: "Received",
        CustodyEvents.custodyReleaseCancelled: "Transfer cancelled",
        CustodyEvents.custodyReceiptRefused: "Receipt refused", CustodyEvents.custodyLost: "Reported lost in transit",
        CustodyEvents.custodyReassigned: "Custody reassigned", CustodyEvents.itemCheckedOut: "Checked out",
        CustodyEvents.itemCheckedIn: "Checked in", CustodyEvents.itemStored: "Stored",
        CustodyEvents.itemSealed: "Sealed", CustodyEvents.itemUnsealed: "Seal opened",
        CustodyEvents.itemExamined: "Examined", CustodyEvents.itemDisposed: "Disposed",
        CustodyEvents.entryCorrected: "Correction", CustodyEvents.noteAdded: "Note",
        CustodyEvents.caseOpened: "Case opened", CustodyEvents.caseAgencyJoined: "Agency joined",
        CustodyEvents.caseClosed: "Case closed", CustodyEvents.targetIdentified: "Identified",
        CustodyEvents.targetVerified: "Verified", CustodyEvents.targetFalsePositive: "False positive",
        CustodyEvents.targetNotified: "Abuse report sent", CustodyEvents.takedownRequested: "Takedown requested",
        CustodyEvents.takedownConfirmed: "Taken down", CustodyEvents.takedownNotActioned: "Not actioned",
        CustodyEvents.targetReappeared: "Reappeared",
    ]

    static let style = """
        body{font-family:"DejaVu Sans",Arial,Helvetica,sans-serif;font-size:10.5pt;line-height:1.35;color:#111;\
        margin:1.5em auto;max-width:60em;padding:0 1em}
        h1{font-size:17pt;margin:0 0 .2em}h2{font-size:13.5pt;border-bottom:2px solid #333;margin-top:1.6em}
        h3{font-size:11.5pt;margin:1.2em 0 .4em}
        table{border-collapse:collapse;width:100%;margin:.4em 0 .8em;font-size:9pt}
        th,td{border:1px solid #888;padding:.2em .35em;text-align:left;vertical-align:top;overflow-wrap:break-word}
        th{background:#eee}
        dl.facts{display:grid;grid-template-columns:max-content auto;gap:.1em 1em;margin:.4em 0}
        dl.facts dt{font-weight:bold}dl.facts dd{margin:0;overflow-wrap:break-word}
        .hash{font-family:"DejaVu Sans Mono",monospace;font-size:8pt;overflow-wrap:break-word}.nw{white-space:nowrap}
        .note{color:#444;font-size:9pt}.bad{color:#a00;font-weight:bold}.ok{color:#060}
        .item{break-inside:auto}.item h3{break-after:avoid}
        svg{width:100%;height:auto;display:block;margin:.3em 0 .8em}
        pre{white-space:pre-wrap;font-size:8pt;background:#f4f4f4;padding:.5em;border:1px solid #ccc}
        @page{margin:14mm 12mm 16mm;@bottom-right{content:"Page " counter(page) " of " counter(pages);\
        font:8pt "DejaVu Sans",sans-serif;color:#444}}
        @media print{body{max-width:none;margin:0;padding:0;font-size:9.5pt}h2{break-after:avoid}\
        tr,svg,dl.facts{break-inside:avoid}thead{display:table-header-group}.item dl.facts,.item svg{break-after:avoid}}
        """

    /// Builds the page.
    struct Page {
        let ledger: DisclosedLedger
        let state: CustodyState
        let findings: [Finding]
        /// The text so far.
        var page = ""
        /// How values are written, in this rendering.
        let html: HTMLText
        var people: [String: PersonRecord] = [:]
        var section = 0
        /// The disclosed entries by stream, and the person behind each disclosed key.
        let byStream: [String: [Entry]]
        let keyPeople: [String: String]

        init(ledger: DisclosedLedger, state: CustodyState, findings: [Finding], version: ReportVersion) {
            html = HTMLText(version: version)
            self.ledger = ledger
            self.state = state
            self.findings = findings
            byStream = Dictionary(grouping: ledger.entries, by: \.body.stream)
            var keyPeople: [String: String] = [:]
            for entry in ledger.entries where entry.body.type == EventTypes.keyRegistered {
                if let key = entry.body.data.member("key")?.stringValue {
                    keyPeople[key] = entry.body.data.member("person")?.stringValue
                }
            }
            self.keyPeople = keyPeople
            for row in state.rows(.people) {
                if let person = try? PersonRecord(state: row.state) { people[person.person] = person }
            }
        }

        mutating func add(_ text: String) { page += text }

        /// The next numbered section heading; from version 3 with its anchor (FORMAT.md §11.6).
        mutating func heading(_ title: String, anchor: String? = nil) -> Int {
            section += 1
            let id = html.version.rawValue >= 3 ? anchor.map { " id=\"\($0)\"" } ?? "" : ""
            add("<h2\(id)>\(section). \(title)</h2>\n")
            return section
        }

        func v(_ text: String?) -> String { text.map(html.value) ?? "—" }

        /// A free-text value (FORMAT.md §11.6.2): defanged from version 2.
        func t(_ text: String?) -> String { text.map(html.freeText) ?? "—" }

        /// A correction's value: free text when the field it corrects is.
        func corrected(_ field: String?, _ value: String?) -> String {
            HTMLText.freeTextMembers.contains(field ?? "") ? t(value) : v(value)
        }

        func who(_ person: String?) -> String {
            guard let person else { return "—" }
            guard let record = people[person] else { return v(person) }
            return "\(v(record.name)) (\(v(person)), \(v(record.agency)))"
        }

        /// A recorded time, 2024-04-03T10:15:00.000Z, as two unbreakable halves: 2024-04-03 10:15:00 UTC.
        func time(_ stamp: String) -> String {
            let parts = stamp.split(separator: "T", maxSplits: 1)
            guard parts.count == 2 else { return html.escape(stamp) }
            return "<span class=\"nw\">\(html.escape(String(parts[0])))</span> "
                + "<span class=\"nw\">\(html.escape(String(parts[1].prefix(8)))) UTC</span>"
        }

        /// When an act physically happened, 2024-06-21T06:04:00+02:00, as 2024-06-21 06:04:00 (+02:00).
        func occurred(_ stamp: String?) -> String {
            guard let stamp else { return "—" }
            let parts = stamp.split(separator: "T", maxSplits: 1)
            guard parts.count == 2, parts[1].count >= 8 else { return html.value(stamp) }
            let clock = parts[1].prefix(8)
            let rest = parts[1].dropFirst(8).drop { $0 == "." || $0.isNumber }
            let zone = rest == "Z" ? "UTC" : String(rest)
            return "<bdi><span class=\"nw\">\(html.escape(String(parts[0])))</span> "
                + "<span class=\"nw\">\(html.escape(String(clock))) (\(html.escape(zone)))</span></bdi>"
        }

        /// Stored status words in plain English.
        static let statusNames: [String: String] = [
            ItemStatus.inCustody: "in custody", ItemStatus.inTransit: "in transit, between holders",
            ItemStatus.checkedOut: "checked out for examination", ItemStatus.lost: "lost",
            ItemStatus.disposed: "disposed",
            TargetStatus.identified: "identified", TargetStatus.verified: "verified",
            TargetStatus.falsePositive: "false positive", TargetStatus.notified: "abuse report sent",
            TargetStatus.takedownRequested: "takedown requested", TargetStatus.takenDown: "taken down",
            TargetStatus.notActioned: "not actioned", TargetStatus.reappeared: "reappeared", "open": "open",
            "closed": "closed",
        ]

        func status(_ value: String) -> String { Self.statusNames[value].map(html.escape) ?? v(value) }

        mutating func build() {
            let statement = ledger.statement
            let checkpoint = ledger.checkpoint.checkpoint
            let title: String
            switch statement.selection {
            case .caseID(let id): title = "Case \(id)"
            case .items(let ids): title = ids.count == 1 ? "Item \(ids[0])" : "\(ids.count) items"
            }
            add("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            add(
                "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'\">\n"
            )
            add("<meta name=\"referrer\" content=\"no-referrer\">\n")
            add("<meta name=\"generator\" content=\"\(html.version.generator)\">\n")
            add("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            add("<title>Chain-of-custody report: \(html.escape(title))</title>\n")
            add("<style>\n\(CustodyReport.style)\n</style>\n</head>\n<body>\n")
            add("<h1>Chain-of-custody report: \(html.value(title))</h1>\n")
            if html.version.rawValue >= 3 {
                buildV3()
                return
            }
            add(
                "<p class=\"note\">Rendered from the \(ledger.entries.count) ledger entries disclosed in this bundle, proven against checkpoint \(checkpoint.size) of ledger \(v(checkpoint.origin)). Times marked UTC are when each entry was recorded; times with an offset are when the act physically happened, as stated by the officer.</p>\n"
            )
            addCase()
            addItems()
            addTargets()
            addPeople()
            addVerification()
            add("</body>\n</html>\n")
        }

        // MARK: Case

        mutating func addCase() {
            _ = heading("The case", anchor: "case")
            guard case .caseID(let id) = ledger.statement.selection else {
                let ids = ledger.statement.streams.map(\.stream).filter { $0.hasPrefix("item/") }.map {
                    $0.dropFirst(5)
                }
                add(
                    "<p>This bundle discloses the custody of selected items only: \(ids.map { v(String($0)) }.joined(separator: ", ")). The case file itself is not part of it.</p>\n"
                )
                return
            }
            guard let row = state.row(.cases, key: id), let record = try? CaseRecord(state: row.state) else {
                add("<p class=\"bad\">Case \(v(id)) is not opened in the disclosed entries.</p>\n")
                return
            }
            let opened = entries(of: "case/" + id).first
            add("<dl class=\"facts\">\n")
            fact("Case", v(id))
            fact("Title", t(record.title))
            fact("Legal basis", t(opened?.body.data.member("legal_basis")?.stringValue))
            fact("Participating agencies", record.agencies.map(v).joined(separator: ", "))
            fact("Status", status(record.status))
            fact("Opened", time(record.openedAt) + " (entry \(record.openedSeq))")
            if let closed = record.closedSeq { fact("Closed", "entry \(closed)") }
            let figures = record.figures
            let targets = figures.targets
            if targets.total > 0 {
                let counted = targets.total - targets[TargetStatus.falsePositive]
                func share(_ count: Int64) -> String {
                    counted == 0 ? "" : " (\(count * 1000 / counted / 10).\(count * 1000 / counted % 10)%)"
                }
                fact(
                    "Targets",
                    "\(targets.total) identified; \(targets[TargetStatus.takenDown]) taken down\(share(targets[TargetStatus.takenDown])), \(targets[TargetStatus.notActioned]) not actioned\(share(targets[TargetStatus.notActioned])), \(targets["pending"]) pending, \(targets[TargetStatus.falsePositive]) false positives"
                )
            }
            if !figures.itemsByKind.isEmpty {
                let kinds = figures.itemsByKind.sorted { $0.key < $1.key }.map {
                    "\($0.value) \(html.escape($0.key))"
                }
                fact("Items seized", "\(figures.itemsByKind.values.reduce(0, +)): \(kinds.joined(separator: ", "))")
            }
            add("</dl>\n")
            addLog(of: "case/" + id)
        }

        mutating func fact(_ label: String, _ value: String) {
            add("<dt>\(html.escape(label))</dt><dd>\(value)</dd>\n")
        }

        func entries(of stream: String) -> [Entry] {
            (byStream[stream] ?? []).filter { $0.body.stream.hasSameBytes(as: stream) }
        }

        /// Notes and corrections of a case or target stream, as a short table.
        mutating func addLog(of stream: String) {
            let extra = entries(of: stream).filter {
                $0.body.type == CustodyEvents.noteAdded || $0.body.type == CustodyEvents.entryCorrected
            }
            guard !extra.isEmpty else { return }
            add(
                "<table><thead><tr><th>Recorded</th><th>Action</th><th>By</th><th>Text</th><th>Entry</th></tr></thead><tbody>\n"
            )
            for entry in extra {
                let data = entry.body.data
                let text =
                    entry.body.type == CustodyEvents.noteAdded
                    ? t(data.member("text")?.stringValue)
                    : "entry \(data.member("corrects")?.integerValue ?? 0), \(v(data.member("field")?.stringValue)) → \(corrected(data.member("field")?.stringValue, data.member("value")?.stringValue)) (\(t(data.member("reason")?.stringValue)))"
                add(
                    "<tr><td>\(time(entry.body.time))</td><td>\(CustodyReport.actionNames[entry.body.type] ?? v(entry.body.type))</td><td>\(actor(entry))</td><td>\(text)</td><td>\(entry.body.seq)</td></tr>\n"
                )
            }
            add("</tbody></table>\n")
        }

        func actor(_ entry: Entry) -> String {
            guard let person = keyPeople[entry.body.actor] else {
                return v(String(entry.body.actor.prefix(12)) + "…")
            }
            return who(person)
        }

        // MARK: Items

        mutating func addItems() {
            var items = state.rows(.items).compactMap { try? ItemRecord(state: $0.state) }
            // Version 3: in exhibit order, each under its anchor (FORMAT.md §11.6).
            if html.version.rawValue >= 3 { items.sort(by: Self.exhibitOrder) }
            let number = heading("Evidence items (\(items.count))", anchor: "items")
            let steps = state.rows(.custodySteps).compactMap { try? CustodyStep(state: $0.state) }
            let stepsByItem = Dictionary(grouping: steps, by: \.item)
            for (index, item) in items.enumerated() {
                addItem(item, number: "\(number).\(index + 1)", steps: stepsByItem[item.id] ?? [])
            }
        }

        mutating func addItem(_ item: ItemRecord, number: String, steps: [CustodyStep]) {
            let stream = entries(of: "item/" + item.id)
            let seizure = stream.first?.body.data
            let anchor = html.version.rawValue >= 3 ? " id=\"item-\(html.escape(item.id))\"" : ""
            add(
                "<section class=\"item\"\(anchor)>\n<h3>\(number) Exhibit \(v(item.exhibit)): \(v(item.kind)) (item \(v(item.id)))</h3>\n"
            )
            add("<dl class=\"facts\">\n")
            fact("Description", t(item.description))
            if let serial = item.serial { fact("Serial number", v(serial)) }
            if let imei = item.imei { fact("IMEI", v(imei)) }
            if let iccid = item.iccid { fact("ICCID", v(iccid)) }
            if let deviceState = item.deviceState { fact("State when seized", t(deviceState)) }
            fact(
                "Seized",
                "\(occurred(item.seizedAt)) from \(t(seizure?.member("seized_from")?.stringValue)) at \(t(seizure?.member("location")?.stringValue))"
            )
            fact("Legal authority", t(seizure?.member("legal_authority")?.stringValue))
            if let target = item.target { fact("From target", v(target)) }
            if let parent = item.parent { fact("Taken from item", v(parent)) }
            fact("Status at the checkpoint", status(item.status))
            for fix in item.corrections {
                fact(
                    "Correction",
                    "entry \(fix.seq) corrects the \(html.escape(fix.field.replacingUnderscores())) of entry \(fix.corrects) to \(corrected(fix.field, fix.value)) (\(t(fix.reason)); by \(who(fix.by)))"
                )
            }
            if html.version.rawValue >= 3 {
                // After disposal or loss nobody holds it and it is kept nowhere; unsealed says so (EVENTS.md §4.1).
                fact("Held by", item.currentHolder.map(who) ?? "nobody (\(status(item.status)))")
                fact("Seal", item.seal.map { v($0) } ?? "unsealed")
                fact(
                    "Location",
                    item.currentLocation.map { t($0) }
                        ?? (item.status == ItemStatus.inTransit ? "in transit" : "none (\(status(item.status)))"))
            } else {
                fact("Held by", who(item.holder))
                fact("Seal", v(item.seal))
                fact("Location", t(item.location))
            }
            if item.sealIncident {
                fact("Seal incident", "<span class=\"bad\">a seal was found broken or not matching</span>")
            }
            add("</dl>\n")
            add(Timeline(item: item, steps: steps, people: people, html: html, end: ledger.entries.last?.body.time).svg)
            add(
                "<table><thead><tr><th>Step</th><th>Recorded</th><th>Action</th><th>By</th><th>Released to / received from</th><th>Seal</th><th>Details</th><th>Entry</th></tr></thead><tbody>\n"
            )
            for step in steps { addStep(step) }
            add("</tbody></table>\n")
            let acquisitions = stream.filter { $0.body.type == CustodyEvents.itemAcquired }
            for entry in acquisitions { addAcquisition(entry) }
            add("</section>\n")
        }

        mutating func addStep(_ step: CustodyStep) {
            let details = step.details
            func text(_ name: String) -> String? { details.member(name)?.stringValue }
            var counterpart = "—"
            if let to = text("to") { counterpart = "to " + who(to) }
            if let from = text("from") { counterpart = "from " + who(from) }
            var seal = v(text("seal"))
            if let check = text("seal_check") {
                let good = check == "intact"
                seal +=
                    " <span class=\"\(good ? "ok" : "bad")\">\(good ? "intact, matches" : html.escape(check))</span>"
            }
            var notes: [String] = []
            for name in [
                "purpose", "courier", "tracking", "condition", "location", "reason", "summary", "report_reference",
                "method", "authority", "tool", "details", "text", "occurred_at", "seized_from",
            ] {
                if let value = text(name) {
                    let shown = HTMLText.freeTextMembers.contains(name) ? t(value) : v(value)
                    notes.append("\(html.escape(name.replacingUnderscores())): \(shown)")
                }
                // From version 4, a check-out's due date, after its purpose (FORMAT.md §11.6).
                if name == "purpose", html.version.rawValue >= 4, let due = text("due") {
                    notes.append("due back: \(v(due))")
                }
            }
            if let witness = text("witness") { notes.append("witnessed by \(who(witness))") }
            if let sha = text("source_sha256") { notes.append("source SHA-256 <span class=\"hash\">\(v(sha))</span>") }
            if case .bool(let verified)? = details.member("verified") {
                notes.append(
                    verified
                        ? "verification hash matched" : "<span class=\"bad\">verification hash did not match</span>")
            }
            if let corrects = details.member("corrects")?.integerValue {
                notes.append(
                    "corrects entry \(corrects): \(v(text("field"))) → \(corrected(text("field"), text("value")))")
            }
            if step.type == CustodyEvents.entryCorrected, let reason = correctionReason(step.seq) {
                notes.append("reason: \(t(reason))")
            }
            // A format-2 statement signed a minute or more before it was recorded (an offline seizure) says so.
            if let body = ledger.entries.first(where: { $0.body.seq == step.seq })?.body, body.isStatement,
                let delay = LedgerTime.delay(from: body.signedAt, to: body.time)
            {
                notes.append("signed \(time(body.signedAt)), \(html.escape(delay)) before it was recorded")
            }
            add(
                "<tr><td>\(step.number)</td><td>\(time(step.time))</td><td>\(CustodyReport.actionNames[step.type] ?? v(step.type))</td><td>\(who(step.by))</td><td>\(counterpart)</td><td>\(seal)</td><td>\(notes.joined(separator: "<br>"))</td><td>\(step.seq)</td></tr>\n"
            )
        }

        mutating func addAcquisition(_ entry: Entry) {
            let data = entry.body.data
            add(
                "<p><b>Forensic image (entry \(entry.body.seq))</b>: \(v(data.member("tool")?.stringValue)) \(v(data.member("tool_version")?.stringValue)), write blocker \(t(data.member("write_blocker")?.stringValue)).</p>\n"
            )
            add("<table><thead><tr><th>File</th><th>Size (bytes)</th><th>Hashes</th></tr></thead><tbody>\n")
            add(
                "<tr><td>source media (as reported by the imaging tool)</td><td>—</td><td>\(hashes(data.member("source_hashes")))</td></tr>\n"
            )
            for image in data.member("images")?.arrayValue ?? [] {
                add(
                    "<tr><td>\(v(image.member("name")?.stringValue))</td><td>\(image.member("size")?.integerValue.map(String.init) ?? "—")</td><td>\(hashes(image.member("hashes")))</td></tr>\n"
                )
            }
            add("</tbody></table>\n")
        }

        func correctionReason(_ seq: Int64) -> String? {
            ledger.entries.first { $0.body.seq == seq }?.body.data.member("reason")?.stringValue
        }

        func hashes(_ value: JSONValue?) -> String {
            (value?.arrayValue ?? []).map {
                "\(v($0.member("alg")?.stringValue)) <span class=\"hash\">\(v($0.member("value")?.stringValue))</span>"
            }.joined(separator: "<br>")
        }

        // MARK: Targets

        mutating func addTargets() {
            let targets = state.rows(.targets).compactMap { try? TargetRecord(state: $0.state) }
            guard !targets.isEmpty else { return }
            _ = heading("Infrastructure targets (\(targets.count))")
            add(
                "<p class=\"note\">Indicators are defanged (hxxp, [.]) so that they cannot be followed by accident.</p>\n"
            )
            add(
                "<table><thead><tr><th>Target</th><th>Kind</th><th>Indicator</th><th>Category</th><th>Country</th><th>Hosting</th><th>Outcome</th><th>History (entries)</th></tr></thead><tbody>\n"
            )
            for target in targets {
                let history = entries(of: "target/" + target.id).map {
                    "\(CustodyReport.actionNames[$0.body.type] ?? v($0.body.type)) (\($0.body.seq))"
                }
                let hosting = [target.hostingProvider, target.asn.map { "AS\($0)" }].compactMap { $0 }
                add(
                    "<tr><td>\(v(target.id))</td><td>\(v(target.kind))</td><td class=\"hash\">\(v(HTMLText.defang(target.value, kind: target.kind)))</td><td>\(v(target.category))</td><td>\(v(target.country))</td><td>\(hosting.isEmpty ? "—" : hosting.map(t).joined(separator: ", "))</td><td>\(status(target.status))\(target.method.map { " (" + v($0) + ")" } ?? "")</td><td>\(history.joined(separator: ", "))</td></tr>\n"
                )
            }
            add("</tbody></table>\n")
        }

        // MARK: People

        mutating func addPeople() {
            _ = heading("People who signed or received", anchor: "people")
            add(
                "<table><thead><tr><th>Person</th><th>Name</th><th>Agency</th><th>Roles</th><th>Keys</th></tr></thead><tbody>\n"
            )
            for person in people.values.sorted(by: { $0.person.utf8.lexicographicallyPrecedes($1.person.utf8) }) {
                let keys = person.keys.map {
                    "<span class=\"hash\">\(v(String($0.keyID.prefix(16))))…</span>\($0.revoked ? " (revoked)" : "")"
                }
                add(
                    "<tr><td>\(v(person.person))</td><td>\(v(person.name))</td><td>\(v(person.agency))</td><td>\(person.activeRoles.map(v).joined(separator: ", "))</td><td>\(keys.joined(separator: "<br>"))</td></tr>\n"
                )
            }
            add("</tbody></table>\n")
        }

        // MARK: Verification

        mutating func addVerification() {
            let checkpoint = ledger.checkpoint
            let logKey = ledger.entries.first?.body.data.member("log_vkey")?.stringValue
            _ = heading("What was verified, and how to check it again", anchor: "verification")
            add("<dl class=\"facts\">\n")
            fact("Ledger", v(checkpoint.checkpoint.origin))
            fact("Log key", "<span class=\"hash\">\(v(logKey))</span>")
            fact(
                "Checkpoint",
                "size \(checkpoint.checkpoint.size), root <span class=\"hash\">\(v(Base64.encode(checkpoint.checkpoint.root)))</span>"
            )
            let cosignatures = checkpoint.note.signatures.filter {
                !$0.name.hasSameBytes(as: checkpoint.checkpoint.origin) && $0.signature.count == 72
            }
            if cosignatures.isEmpty {
                fact("Witnesses", "none: the checkpoint carries no witness cosignature")
            } else {
                let lines = cosignatures.map { line -> String in
                    let time = line.signature.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                    return "\(v(line.name)), cosigned at \(UnixTime.iso8601(time))"
                }
                fact("Witness cosignatures", lines.joined(separator: "<br>"))
            }
            fact(
                "Trusted time",
                ledger.hasTimestamp
                    ? "an RFC 3161 time stamp over the checkpoint is included (data/ledger/checkpoint.tsr)"
                    : "no RFC 3161 time stamp is included")
            fact(
                "Disclosure",
                "\(v(ledger.statement.selection.description)): \(ledger.statement.streams.count) streams, each complete up to the checkpoint, as stated by the log key in data/ledger/disclosure"
            )
            if html.version.rawValue >= 3 {
                addCustodyVerdictV3()
                return
            }
            fact(
                "Custody rules",
                findings.isEmpty
                    ? "<span class=\"ok\">the disclosed history breaks no custody rule</span>"
                    : findings.map { "<span class=\"bad\">entry \($0.seq): \(v($0.message))</span>" }.joined(
                        separator: "<br>"))
            add("</dl>\n")
            add(
                """
                <p>Every entry in this bundle is signed by the officer who recorded it and is proven, by a Merkle inclusion proof, to be part of the ledger whose checkpoint the ledger's log key signed (and, where listed, witnesses of other agencies cosigned). The disclosure statement, signed by the same key, lists every stream of the selection with its last entry; a bundle that left out an item, a target or a later entry would contradict it, and the full ledger proves the statement true or false (<code>ledger verify --disclosure</code>).</p>
                <p>To check this bundle again, from its folder (see data/VERIFY.md for every step by hand):</p>
                <pre>KEY='\(html.escape(logKey ?? "VKEY"))'
                ledger verify-bundle . --trust-log-key "$KEY"
                python3 verify_bundle.py . --trust-log-key "$KEY"
                sha256sum -c tagmanifest-sha256.txt manifest-sha256.txt</pre>
                <p class="note">Obtain the log key from the ledger's operator through a separate channel: a bundle checked only against the key it names itself proves that it is consistent, not who made it.</p>

                """)
        }
    }
}

extension String {
    fileprivate func replacingUnderscores() -> String {
        String(map { $0 == "_" ? " " : $0 })
    }
}

/// Seconds since the epoch as `YYYY-MM-DD HH:MM:SS UTC`, without Foundation (proleptic Gregorian calendar).
enum UnixTime {
    static func iso8601(_ seconds: UInt64) -> String {
        let days = Int64(seconds / 86_400)
        let rest = Int64(seconds % 86_400)
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(year)-\(two(month))-\(two(day)) \(two(rest / 3600)):\(two(rest / 60 % 60)):\(two(rest % 60)) UTC"
    }
}
