import CustodyDomain
import LedgerCore
import LedgerCrypto

/// The kinds of custody exception the report names (FORMAT.md §11.6), in the order it names them.
enum CustodyException: Int, CaseIterable, Comparable {
    case brokenSeal, lostInTransit, slowTransfer, lateRecording, correction, inTransit, ruleBroken

    /// "1 broken seal", "2 broken seals".
    func counted(_ count: Int) -> String {
        let (one, many): (String, String) =
            switch self {
            case .brokenSeal: ("broken seal", "broken seals")
            case .lostInTransit: ("loss in transit", "losses in transit")
            case .slowTransfer: ("slow transfer", "slow transfers")
            case .lateRecording: ("late recording", "late recordings")
            case .correction: ("correction", "corrections")
            case .inTransit: ("item in transit", "items in transit")
            case .ruleBroken: ("custody rule broken", "custody rules broken")
            }
        return "\(count) \(count == 1 ? one : many)"
    }

    static func < (lhs: CustodyException, rhs: CustodyException) -> Bool { lhs.rawValue < rhs.rawValue }

    /// A hand-over whose receipt was recorded more than this long after the release is slow, in milliseconds.
    static let slowTransferLimit: Int64 = 72 * 3_600_000

    /// `custody exceptions: 1 broken seal, 2 corrections`, or `custody exceptions: none`.
    static func summary(_ counts: [CustodyException: Int]) -> String {
        let named = counts.filter { $0.value > 0 }.sorted { $0.key < $1.key }.map { $0.key.counted($0.value) }
        return "custody exceptions: " + (named.isEmpty ? "none" : named.joined(separator: ", "))
    }
}

extension CustodyReport.Page {
    /// Version 3 (FORMAT.md §11.6): who exported the bag, a table of contents, a summary, then the sections.
    mutating func buildV3() {
        let checkpoint = ledger.checkpoint.checkpoint
        let root = checkpoint.root
        let exported =
            ledger.statement.export.map { "Exported by \(v($0.exporter)) on \(time($0.time))" }
            ?? "Who exported this bundle, and when, is not stated (its disclosure statement is version 1)"
        add(
            "<p>\(exported), from ledger \(v(checkpoint.origin)) at its checkpoint of size \(checkpoint.size) (root <span class=\"hash\">\(v(Base64.encode(root)))</span>, hex <span class=\"hash\">\(v(Hex.encode(root)))</span>).</p>\n"
        )
        add(
            "<p class=\"note\">Rendered from the \(ledger.entries.count) ledger entries disclosed in this bundle. Times marked UTC are when each entry was recorded; times with an offset are when the act physically happened, as stated by the officer.</p>\n"
        )
        let items = state.rows(.items).compactMap { try? ItemRecord(state: $0.state) }.sorted(by: Self.exhibitOrder)
        let targets = state.rows(.targets).compactMap { try? TargetRecord(state: $0.state) }
        addContents(items: items, hasTargets: !targets.isEmpty)
        addSummary(items: items, targets: targets)
        addCase()
        addItems()
        addTargetSummary(targets)
        addPeople()
        addVerification()
        add("</body>\n</html>\n")
    }

    /// Exhibit order: exhibit numbers compared with their runs of ASCII digits as numbers (`EV-2` before `EV-10`),
    /// then item ids by bytes.
    static func exhibitOrder(_ lhs: ItemRecord, _ rhs: ItemRecord) -> Bool {
        let order = naturalOrder(Array(lhs.exhibit.utf8), Array(rhs.exhibit.utf8))
        if order != 0 { return order < 0 }
        return lhs.id.utf8.lexicographicallyPrecedes(rhs.id.utf8)
    }

    /// -1, 0 or 1: runs of digits compared by value (then by length, so `02` follows `2`), other bytes as bytes.
    static func naturalOrder(_ lhs: [UInt8], _ rhs: [UInt8]) -> Int {
        func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
        var i = 0
        var j = 0
        while i < lhs.count && j < rhs.count {
            if isDigit(lhs[i]) && isDigit(rhs[j]) {
                let a = lhs[i...].prefix(while: isDigit)
                let b = rhs[j...].prefix(while: isDigit)
                let x = a.drop { $0 == 0x30 }
                let y = b.drop { $0 == 0x30 }
                if x.count != y.count { return x.count < y.count ? -1 : 1 }
                if !x.elementsEqual(y) { return x.lexicographicallyPrecedes(y) ? -1 : 1 }
                if a.count != b.count { return a.count < b.count ? -1 : 1 }
                i += a.count
                j += b.count
                continue
            }
            if lhs[i] != rhs[j] { return lhs[i] < rhs[j] ? -1 : 1 }
            i += 1
            j += 1
        }
        return lhs.count - i == rhs.count - j ? 0 : (lhs.count - i < rhs.count - j ? -1 : 1)
    }

    // MARK: Contents

    mutating func addContents(items: [ItemRecord], hasTargets: Bool) {
        add("<nav aria-label=\"Contents\">\n<h2>Contents</h2>\n<ol>\n")
        add("<li><a href=\"#summary\">Summary</a></li>\n")
        add("<li><a href=\"#case\">The case</a></li>\n")
        add("<li><a href=\"#items\">Evidence items (\(items.count))</a>\n<ol>\n")
        for item in items {
            add(
                "<li><a href=\"#item-\(html.escape(item.id))\">Exhibit \(v(item.exhibit)): \(v(item.kind)) (item \(v(item.id)))</a></li>\n"
            )
        }
        add("</ol></li>\n")
        if hasTargets { add("<li><a href=\"#targets\">Infrastructure targets</a></li>\n") }
        add("<li><a href=\"#people\">People who signed or received</a></li>\n")
        add("<li><a href=\"#verification\">What was verified, and how to check it again</a></li>\n")
        add("</ol>\n</nav>\n")
    }

    // MARK: Exceptions

    /// The custody exceptions of each item, by item id, and those of the rest of the disclosure (FORMAT.md §11.6).
    func exceptions(items: [ItemRecord]) -> (byItem: [String: [CustodyException: Int]], rest: [CustodyException: Int]) {
        var byItem: [String: [CustodyException: Int]] = [:]
        var rest: [CustodyException: Int] = [:]
        let steps = state.rows(.custodySteps).compactMap { try? CustodyStep(state: $0.state) }
        var released: [String: Int64] = [:]
        for step in steps.sorted(by: { $0.seq < $1.seq }) {
            let time = LedgerTime.milliseconds(step.time)
            switch step.type {
            case CustodyEvents.custodyReceived:
                if let check = step.details.member("seal_check")?.stringValue, check != "intact" {
                    byItem[step.item, default: [:]][.brokenSeal, default: 0] += 1
                }
                if let start = released[step.item], let time, time - start > CustodyException.slowTransferLimit {
                    byItem[step.item, default: [:]][.slowTransfer, default: 0] += 1
                }
            case CustodyEvents.custodyLost: byItem[step.item, default: [:]][.lostInTransit, default: 0] += 1
            case CustodyEvents.custodyReleased: released[step.item] = time
            default: break
            }
        }
        for item in items {
            if !item.corrections.isEmpty {
                byItem[item.id, default: [:]][.correction, default: 0] += item.corrections.count
            }
            if item.status == ItemStatus.inTransit { byItem[item.id, default: [:]][.inTransit, default: 0] += 1 }
        }
        let streamOf = Dictionary(ledger.entries.map { ($0.body.seq, $0.body.stream) }, uniquingKeysWith: { a, _ in a })
        for entry in ledger.entries where entry.body.stream.hasPrefix("item/") {
            let body = entry.body
            if body.isStatement, LedgerTime.delay(from: body.signedAt, to: body.time) != nil {
                byItem[String(body.stream.dropFirst(5)), default: [:]][.lateRecording, default: 0] += 1
            }
        }
        for finding in findings {
            if let stream = streamOf[finding.seq], stream.hasPrefix("item/") {
                byItem[String(stream.dropFirst(5)), default: [:]][.ruleBroken, default: 0] += 1
            } else {
                rest[.ruleBroken, default: 0] += 1
            }
        }
        return (byItem, rest)
    }

    /// The exceptions of the whole disclosure.
    func totalExceptions(items: [ItemRecord]) -> [CustodyException: Int] {
        let found = exceptions(items: items)
        var total = found.rest
        for counts in found.byItem.values {
            for (kind, count) in counts { total[kind, default: 0] += count }
        }
        return total
    }

    // MARK: Summary

    mutating func addSummary(items: [ItemRecord], targets: [TargetRecord]) {
        _ = heading("Summary", anchor: "summary")
        let found = exceptions(items: items)
        let total = totalExceptions(items: items)
        add("<dl class=\"facts\">\n")
        fact(
            "Disclosed",
            "\(ledger.entries.count) ledger entries in \(ledger.statement.streams.count) streams (\(v(ledger.statement.selection.description)))"
        )
        let byStatus = Dictionary(grouping: items, by: \.status).map { (status: $0.key, count: $0.value.count) }
            .sorted { $0.status.utf8.lexicographicallyPrecedes($1.status.utf8) }
        fact(
            "Evidence items",
            "\(items.count)"
                + (byStatus.isEmpty
                    ? "" : " (" + byStatus.map { "\($0.count) \(status($0.status))" }.joined(separator: ", ") + ")"))
        if !targets.isEmpty {
            fact("Infrastructure targets", "\(targets.count) (\(outcomes(targets)))")
        }
        fact("People", "\(people.count) who signed or received")
        let summary = CustodyException.summary(total)
        fact("Custody", total.isEmpty ? html.escape(summary) : "<span class=\"bad\">\(html.escape(summary))</span>")
        fact("Verification", verificationSummary())
        add("</dl>\n")
        guard !items.isEmpty else { return }
        add(
            "<table><thead><tr><th>Exhibit</th><th>Item</th><th>Kind</th><th>Status</th><th>Held by</th><th>Seal</th><th>Custody exceptions</th></tr></thead><tbody>\n"
        )
        for item in items {
            let counts = found.byItem[item.id] ?? [:]
            let named = CustodyException.summary(counts).dropFirst("custody exceptions: ".count)
            let shown = counts.isEmpty ? "none" : "<span class=\"bad\">\(html.escape(String(named)))</span>"
            add(
                "<tr><td><a href=\"#item-\(html.escape(item.id))\">\(v(item.exhibit))</a></td><td>\(v(item.id))</td><td>\(v(item.kind))</td><td>\(status(item.status))</td><td>\(item.currentHolder.map(who) ?? "nobody")</td><td>\(item.seal.map { v($0) } ?? "unsealed")</td><td>\(shown)</td></tr>\n"
            )
        }
        add("</tbody></table>\n")
    }

    /// Targets by outcome: `3 taken down, 1 not actioned, …`, outcomes sorted by name.
    func outcomes(_ targets: [TargetRecord]) -> String {
        counted(targets.map(\.status)).map { "\($0.count) \(status($0.value))" }.joined(separator: ", ")
    }

    /// Each distinct value and how often it occurs, most frequent first, then by value (bytes).
    func counted(_ values: [String]) -> [(value: String, count: Int)] {
        var counts: [String: Int] = [:]
        for value in values { counts[value, default: 0] += 1 }
        return counts.map { (value: $0.key, count: $0.value) }.sorted {
            $0.count != $1.count ? $0.count > $1.count : $0.value.utf8.lexicographicallyPrecedes($1.value.utf8)
        }
    }

    /// One line: the checkpoint, its witnesses and time stamp, the disclosure statement.
    func verificationSummary() -> String {
        let checkpoint = ledger.checkpoint
        let witnesses = checkpoint.note.signatures.filter {
            !$0.name.hasSameBytes(as: checkpoint.checkpoint.origin) && $0.signature.count == 72
        }.count
        let statement =
            ledger.statement.version == 2
            ? "the log key's disclosure statement lists every stream and the SHA-256 of every file of this bundle"
            : "the log key's disclosure statement lists every stream"
        return
            "every entry is signed and proven to be in the ledger's checkpoint of size \(checkpoint.checkpoint.size), signed by the log key; \(witnesses) witness cosignature\(witnesses == 1 ? "" : "s"); \(ledger.hasTimestamp ? "an" : "no") RFC 3161 time stamp; \(statement) (see <a href=\"#verification\">What was verified</a>)"
    }

    // MARK: Targets

    mutating func addTargetSummary(_ targets: [TargetRecord]) {
        guard !targets.isEmpty else { return }
        _ = heading("Infrastructure targets (\(targets.count))", anchor: "targets")
        add(
            "<p>Every target, with its indicator (defanged: hxxp, [.]), category, country, hosting provider, outcome and entries, is listed in <b>data/report/targets.csv</b> in this bundle (\(targets.count) rows, sorted by target id; its SHA-256 is in the signed disclosure statement). This section summarises them.</p>\n"
        )
        add("<dl class=\"facts\">\n")
        fact("By kind", counted(targets.map(\.kind)).map { "\($0.count) \(v($0.value))" }.joined(separator: ", "))
        fact("By outcome", outcomes(targets))
        let countries = counted(targets.map(\.country))
        var shown = countries.prefix(10).map { "\($0.count) \(v($0.value))" }
        let others = countries.dropFirst(10).reduce(0) { $0 + $1.count }
        if others > 0 { shown.append("\(others) in \(countries.count - 10) other countries") }
        fact("By country", shown.joined(separator: ", "))
        add("</dl>\n")
        if case .caseID(let id) = ledger.statement.selection,
            let record = state.row(.cases, key: id).flatMap({ try? CaseRecord(state: $0.state) })
        {
            let figures = record.figures.targets
            add(
                "<p class=\"note\">Of the case's \(figures.total) targets, \(figures[TargetStatus.takenDown]) were taken down, \(figures[TargetStatus.notActioned]) not actioned, \(figures["pending"]) are pending and \(figures[TargetStatus.falsePositive]) were false positives.</p>\n"
            )
        }
    }

    // MARK: Verification

    /// Version 3: never "no custody rule is broken" in green beside an exception; then how to check again.
    mutating func addCustodyVerdictV3() {
        let items = state.rows(.items).compactMap { try? ItemRecord(state: $0.state) }
        let total = totalExceptions(items: items)
        var verdict =
            total.isEmpty
            ? "<span class=\"ok\">no custody rule is broken; custody exceptions: none</span>"
            : "<span class=\"bad\">\(html.escape(CustodyException.summary(total)))</span>"
        for finding in findings {
            verdict += "<br><span class=\"bad\">entry \(finding.seq): \(v(finding.message))</span>"
        }
        fact("Custody", verdict)
        if let export = ledger.statement.export {
            fact(
                "Exported",
                "by \(v(export.exporter)) on \(time(export.time)); the log key signed this, and the SHA-256 of every file of the bundle, in data/ledger/disclosure"
            )
        }
        add("</dl>\n")
        add(
            """
            <p>Every entry in this bundle is signed by the officer who recorded it and is proven, by a Merkle inclusion proof, to be part of the ledger whose checkpoint the ledger's log key signed (and, where listed, witnesses of other agencies cosigned). The disclosure statement, signed by the same key, lists every stream of the selection with its last entry, and the SHA-256 of every other file of this bundle, this report included; a bundle that left out an item, a target or a later entry would contradict it, and the full ledger proves the statement true or false.</p>
            <p>To check this bundle again, follow data/VERIFY.md: its steps need only a shell, sha256sum and openssl, and say what each proves. custody-ledger's <code>ledger verify-bundle</code> checks everything at once.</p>
            <p class="note">Obtain the log key from the ledger's operator through a separate channel: a bundle checked only against the key it names itself proves that it is consistent, not who made it.</p>

            """)
    }
}
