import CustodyDomain
import GRDB
import LedgerApp
import LedgerCore
import LedgerCrypto
import LedgerSQLite
import LedgerStores
import LedgerTestSupport
import Testing

/// The custody rules as the decision step applies them: a refused command explains why and appends nothing.
struct CustodyRuleTests {
    /// Expects `body` to be refused with a message containing `words`, and the ledger to be unchanged.
    private func expectRefused(
        _ fixture: CustodyFixture, _ words: String, sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () throws -> Void
    ) throws {
        let before = try fixture.count()
        do {
            try body()
            Issue.record("expected a refusal mentioning \"\(words)\"", sourceLocation: sourceLocation)
        } catch let error as LedgerError {
            #expect(error.description.contains(words), "\(error)", sourceLocation: sourceLocation)
            #expect(!error.description.contains("\n"), sourceLocation: sourceLocation)
        }
        #expect(try fixture.count() == before, "a refused command appended nothing", sourceLocation: sourceLocation)
    }

    @Test func onlyTheHolderReleases() throws {
        let fixture = try CustodyFixture()
        try fixture.seize("EV-1")
        try expectRefused(fixture, "only the holder carol") {
            try fixture.record(
                CustodyEvents.custodyReleased, "item/EV-1", ["to": "erin", "purpose": "imaging", "seal": "S-1"],
                by: "bob")
        }
        try fixture.record(
            CustodyEvents.custodyReleased, "item/EV-1", ["to": "bob", "purpose": "storage", "seal": "S-1"], by: "carol")
        #expect(try fixture.item("EV-1")?.status == ItemStatus.inTransit)
        // In transit, even the holder cannot release it again.
        try expectRefused(fixture, "needs the item in-custody") {
            try fixture.record(
                CustodyEvents.custodyReleased, "item/EV-1", ["to": "dan", "purpose": "x", "seal": "S-1"], by: "carol")
        }
    }

    @Test func onlyTheNamedRecipientReceives() throws {
        let fixture = try CustodyFixture()
        try fixture.seize("EV-1")
        try fixture.record(
            CustodyEvents.custodyReleased, "item/EV-1", ["to": "bob", "purpose": "storage", "seal": "S-1"], by: "carol")
        try expectRefused(fixture, "only the named recipient bob") {
            try fixture.record(
                CustodyEvents.custodyReceived, "item/EV-1", ["seal": "S-1", "seal_intact": true, "location": "Lab"],
                by: "dan")
        }
        try fixture.record(
            CustodyEvents.custodyReceived, "item/EV-1", ["seal": "S-1", "seal_intact": true, "location": "Lab"],
            by: "bob")
        let item = try #require(try fixture.item("EV-1"))
        #expect(item.holder == "bob" && item.status == ItemStatus.inCustody && !item.sealIncident)
    }

    @Test func aBrokenSealIsRecordedNotRefused() throws {
        let fixture = try CustodyFixture()
        try fixture.seize("EV-1")
        try fixture.record(
            CustodyEvents.custodyReleased, "item/EV-1", ["to": "bob", "purpose": "storage", "seal": "S-1"], by: "carol")
        try fixture.record(
            CustodyEvents.custodyReceived, "item/EV-1", ["seal": "S-1", "seal_intact": false, "location": "Lab"],
            by: "bob")
        let (item, steps) = try #require(try CustodyQueries.item("EV-1", in: fixture.ledger.store))
        #expect(item.sealIncident && item.seal == nil)
        #expect(steps.last?.details.member("seal_check") == "broken")
        #expect(
            steps.map(\.type) == [
                CustodyEvents.itemSeized, CustodyEvents.custodyReleased, CustodyEvents.custodyReceived,
            ])
    }

    @Test func releaseMustStateTheCurrentSeal() throws {
        let fixture = try CustodyFixture()
        try fixture.seize("EV-1")
        try expectRefused(fixture, "has seal S-1") {
            try fixture.record(
                CustodyEvents.custodyReleased, "item/EV-1", ["to": "bob", "purpose": "x", "seal": "S-9"], by: "carol")
        }
    }

    @Test func nothingHappensToADisposedOrLostItem() throws {
        let fixture = try CustodyFixture()
        try fixture.seize("EV-1")
        try fixture.record(
            CustodyEvents.itemDisposed, "item/EV-1", ["method": "returned-to-owner", "authority": "Court order 7"],
            by: "carol")
        try expectRefused(fixture, "is disposed") {
            try fixture.record(CustodyEvents.itemStored, "item/EV-1", ["location": "Room C"], by: "carol")
        }
        try fixture.seize("EV-2")
        try fixture.record(
            CustodyEvents.custodyReleased, "item/EV-2", ["to": "bob", "purpose": "x", "seal": "S-1"], by: "carol")
        try fixture.record(CustodyEvents.custodyLost, "item/EV-2", ["details": "courier van stolen"], by: "sam")
        try expectRefused(fixture, "is lost") {
            try fixture.record(
                CustodyEvents.custodyReceived, "item/EV-2", ["seal": "S-1", "seal_intact": true, "location": "Lab"],
                by: "bob")
        }
        // Notes may still be added.
        try fixture.record(CustodyEvents.noteAdded, "item/EV-2", ["text": "Insurance claim filed."], by: "sam")
    }

    @Test func anIDOrTargetIsNeverRegisteredTwice() throws {
        let fixture = try CustodyFixture()
        try fixture.seize("EV-1")
        try expectRefused(fixture, "already seized") { try fixture.seize("EV-1") }
        let target: JSONValue = [
            "case": "CASE-1", "kind": "ip", "value": "198.51.100.7", "category": "phishing", "country": "NL",
            "source": "feed",
        ]
        try fixture.record(CustodyEvents.targetIdentified, "target/T-1", target, by: "tina")
        try expectRefused(fixture, "already target T-1") {
            try fixture.record(CustodyEvents.targetIdentified, "target/T-2", target, by: "tina")
        }
        try expectRefused(fixture, "already identified") {
            try fixture.record(CustodyEvents.targetIdentified, "target/T-1", target, by: "tina")
        }
        try expectRefused(fixture, "case CASE-1 was already opened") {
            try fixture.record(
                CustodyEvents.caseOpened, "case/CASE-1", ["title": "Again", "legal_basis": "x", "agencies": ["A"]],
                by: "carol")
        }
    }

    @Test func targetValuesMustBeNormalized() throws {
        let fixture = try CustodyFixture()
        try expectRefused(fixture, "not normalized (expected \"2001:db8::1\")") {
            try fixture.record(
                CustodyEvents.targetIdentified, "target/T-1",
                [
                    "case": "CASE-1", "kind": "ip", "value": "2001:DB8:0::1", "category": "phishing", "country": "NL",
                    "source": "feed",
                ], by: "tina")
        }
    }

    @Test func aTakedownOutcomeNeedsAnIdentifiedNonFalsePositiveTarget() throws {
        let fixture = try CustodyFixture()
        let confirm: JSONValue = ["method": "suspended", "occurred_at": "2024-06-01T10:00:00Z"]
        try expectRefused(fixture, "never identified") {
            try fixture.record(CustodyEvents.takedownConfirmed, "target/T-9", confirm, by: "tina")
        }
        try fixture.record(
            CustodyEvents.targetIdentified, "target/T-1",
            [
                "case": "CASE-1", "kind": "domain", "value": "login.example", "category": "phishing",
                "country": "DE", "source": "feed",
            ], by: "tina")
        try fixture.record(CustodyEvents.targetFalsePositive, "target/T-1", ["reason": "parked domain"], by: "tina")
        try expectRefused(fixture, "is false-positive") {
            try fixture.record(CustodyEvents.takedownConfirmed, "target/T-1", confirm, by: "tina")
        }
        let stats = try OperationStats.compute(caseID: "CASE-1", in: fixture.ledger.store)
        #expect(stats.identified == 0 && stats.falsePositives == 1)
    }

    @Test func takedownFiguresFollowTheLatestOutcome() throws {
        let fixture = try CustodyFixture()
        for (index, value) in ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"].enumerated() {
            try fixture.record(
                CustodyEvents.targetIdentified, "target/T-\(index)",
                [
                    "case": "CASE-1", "kind": "ip", "value": .string(value), "category": "ransomware",
                    "country": "FR", "source": "feed",
                ], by: "tina")
        }
        let confirm: JSONValue = ["method": "null-routed", "occurred_at": "2024-06-01T10:00:00+02:00"]
        try fixture.record(CustodyEvents.takedownConfirmed, "target/T-0", confirm, by: "tina")
        try fixture.record(CustodyEvents.takedownConfirmed, "target/T-1", confirm, by: "tina")
        try fixture.record(CustodyEvents.takedownNotActioned, "target/T-2", ["reason": "jurisdiction"], by: "tina")
        try expectRefused(fixture, "needs an active target") {
            try fixture.record(CustodyEvents.takedownNotActioned, "target/T-1", ["reason": "other"], by: "tina")
        }
        try fixture.record(
            CustodyEvents.targetReappeared, "target/T-1", ["observed_at": "2024-07-01T10:00:00Z"], by: "tina")
        let stats = try OperationStats.compute(caseID: "CASE-1", in: fixture.ledger.store)
        #expect(stats.identified == 4 && stats.takenDown == 1 && stats.notActioned == 1 && stats.pending == 2)
        #expect(stats.byCountry["FR"]?.identified == 4)
    }

    @Test func acquisitionOnlyByTheHolderOrTheExaminerWhoCheckedItOut() throws {
        let fixture = try CustodyFixture()
        try fixture.seize("EV-1")
        let hashes: JSONValue = [["alg": "sha256", "value": .string(String(repeating: "ab", count: 32))]]
        let acquisition: JSONValue = [
            "tool": "dd", "tool_version": "9", "source_hashes": hashes,
            "images": [["name": "ev1.raw", "size": 10, "hashes": hashes]], "verified": true,
        ]
        try expectRefused(fixture, "may record an acquisition") {
            try fixture.record(CustodyEvents.itemAcquired, "item/EV-1", acquisition, by: "erin")
        }
        try fixture.record(
            CustodyEvents.itemCheckedOut, "item/EV-1", ["to": "erin", "purpose": "imaging"], by: "carol")
        try fixture.record(CustodyEvents.itemAcquired, "item/EV-1", acquisition, by: "erin")
        try fixture.record(CustodyEvents.itemCheckedIn, "item/EV-1", ["location": "Room B"], by: "erin")
        try expectRefused(fixture, "may record an acquisition") {
            try fixture.record(CustodyEvents.itemAcquired, "item/EV-1", acquisition, by: "erin")
        }
        #expect(try fixture.item("EV-1")?.acquisitions.count == 1)
    }

    @Test func aCaseMustBeOpen() throws {
        let fixture = try CustodyFixture(openCase: false)
        try expectRefused(fixture, "case CASE-1 does not exist") { try fixture.seize("EV-1") }
        try fixture.record(
            CustodyEvents.caseOpened, "case/CASE-1", ["title": "T", "legal_basis": "L", "agencies": ["A"]], by: "carol")
        try fixture.record(CustodyEvents.caseClosed, "case/CASE-1", ["reason": "done"], by: "carol")
        try expectRefused(fixture, "case CASE-1 is closed") { try fixture.seize("EV-1") }
    }

    @Test func aSignerNeedsTheRole() throws {
        let fixture = try CustodyFixture()
        try expectRefused(fixture, "none of which may sign item.seized") { try fixture.seize("EV-1", by: "tina") }
        try expectRefused(fixture, "none of which may sign note.added") {
            try fixture.record(CustodyEvents.noteAdded, "case/CASE-1", ["text": "auditors only read"], by: "audrey")
        }
        try fixture.seize("EV-1")
        try expectRefused(fixture, "none of which may sign custody.reassigned") {
            try fixture.record(CustodyEvents.custodyReassigned, "item/EV-1", ["to": "bob", "reason": "x"], by: "carol")
        }
        try fixture.record(
            CustodyEvents.custodyReassigned, "item/EV-1", ["to": "bob", "reason": "carol on leave"], by: "sam")
        #expect(try fixture.item("EV-1")?.holder == "bob")
    }

    @Test func correctionsChangeOnlyDescriptiveTextAndShowBesideTheOriginal() throws {
        let fixture = try CustodyFixture()
        let seized = try fixture.seize("EV-1")
        try expectRefused(fixture, "field \"seal\" of item.seized cannot be corrected") {
            try fixture.record(
                CustodyEvents.entryCorrected, "item/EV-1",
                ["corrects": .integer(seized), "field": "seal", "value": "S-2", "reason": "x"], by: "carol")
        }
        try expectRefused(fixture, "only carol, who recorded") {
            try fixture.record(
                CustodyEvents.entryCorrected, "item/EV-1",
                ["corrects": .integer(seized), "field": "description", "value": "Black laptop", "reason": "typo"],
                by: "bob")
        }
        try expectRefused(fixture, "entry.corrected is not allowed in stream ledger") {
            try fixture.record(
                CustodyEvents.entryCorrected, "ledger",
                ["corrects": 1, "field": "description", "value": "x", "reason": "x"], by: "carol")
        }
        try fixture.record(
            CustodyEvents.entryCorrected, "item/EV-1",
            ["corrects": .integer(seized), "field": "description", "value": "Black laptop", "reason": "typo"],
            by: "carol")
        let item = try #require(try fixture.item("EV-1"))
        #expect(item.description == "Grey laptop")
        #expect(item.corrections.first?.value == "Black laptop")
    }

    @Test func aWitnessCoSignsTheSeizure() throws {
        let fixture = try CustodyFixture()
        var data = CustodyFixture.seizure()
        if case .object(var members) = data {
            members.append(JSONMember("witness_key", .string(LedgerFixture.keyID(try fixture.key("bob")))))
            data = .object(members)
        }
        try expectRefused(fixture, "signers are not exactly the required signers") {
            try fixture.record(CustodyEvents.itemSeized, "item/EV-1", data, by: "carol")
        }
        try fixture.record(CustodyEvents.itemSeized, "item/EV-1", data, by: "carol", coSigners: ["bob"])
        let records = try fixture.ledger.records()
        let entry = try Entry.parse(record: try #require(records.last))
        #expect(entry.sigs.count == 2)
        let report = try VerifyRunner.verify(store: fixture.ledger.store, options: VerifyOptions(), source: "test")
        #expect(report.exitStatus == 0, "\(String(describing: report.failure))")
    }

    @Test func twoPeopleActingOnOneItemCannotBothWin() throws {
        let fixture = try CustodyFixture()
        try fixture.seize("EV-1")
        let store = fixture.ledger.store
        let first = EventDraft(
            type: CustodyEvents.custodyReleased, stream: "item/EV-1",
            data: ["to": "bob", "purpose": "x", "seal": "S-1"], expectRev: 1, signer: try fixture.key("carol"))
        var second = first
        second.data = ["to": "dan", "purpose": "y", "seal": "S-1"]
        _ = try Appender.append([first], to: store)
        #expect(throws: LedgerError.self) { try Appender.append([second], to: store) }
    }

    /// EV-1 seized by carol and handed over to bob, EV-2 seized without a seal.
    private func handedOver() throws -> CustodyFixture {
        let fixture = try CustodyFixture()
        try fixture.seize("EV-1")
        try fixture.seize("EV-2", seal: nil)
        try fixture.record(
            CustodyEvents.custodyReleased, "item/EV-1", ["to": "bob", "purpose": "x", "seal": "S-1"], by: "carol")
        try fixture.record(
            CustodyEvents.custodyReceived, "item/EV-1", ["seal": "S-1", "seal_intact": true, "location": "Lab"],
            by: "bob")
        return fixture
    }

    @Test func rebuildReproducesTheLiveProjectionsAndVerifyCatchesHandEdits() throws {
        let fixture = try handedOver()
        try fixture.record(CustodyEvents.itemSealed, "item/EV-2", ["seal": "S-2"], by: "carol")
        let store = fixture.ledger.store
        func snapshot() throws -> [ProjectionRow] { try projectionRows(of: store) }
        let live = try snapshot()
        _ = try ProjectionRebuilder.rebuild(store: store)
        #expect(try snapshot() == live)
        #expect(try VerifyRunner.verify(store: store, options: VerifyOptions(), source: "t").exitStatus == 0)

        // A hand edit of a projection table: caught and named.
        let queue = try DatabaseQueue(path: fixture.ledger.path)
        try queue.write { db in try db.execute(sql: "UPDATE items SET holder = 'dan' WHERE key = 'EV-1'") }
        let report = try VerifyRunner.verify(store: store, options: VerifyOptions(), source: "t")
        #expect(report.failure?.rule == .projections)
        #expect(report.failure?.message.contains("items projection: row EV-1 differs from the log in holder") == true)
        try queue.write { db in try db.execute(sql: "DELETE FROM custody_steps WHERE item_id = 'EV-2'") }
        _ = try ProjectionRebuilder.rebuild(store: store)
        #expect(try snapshot() == live)
        #expect(try VerifyRunner.verify(store: store, options: VerifyOptions(), source: "t").exitStatus == 0)
    }

    /// Verify compares the custody steps item by item through a chained digest, never holding every step: each
    /// kind of hand edit is caught and names the item; the untouched ledger and a rebuilt one verify clean.
    @Test(arguments: [
        (
            "DELETE FROM custody_steps WHERE key = (SELECT max(key) FROM custody_steps WHERE item_id = 'EV-1')",
            "the rows of item EV-1 differ from the log (2 stored, 3 from the log)"
        ),
        ("DELETE FROM custody_steps WHERE item_id = 'EV-2'", "the rows of item EV-2 are missing"),
        (
            "UPDATE custody_steps SET state = replace(state, 'carol', 'carla') WHERE item_id = 'EV-1'",
            "the rows of item EV-1 differ from the log (3 stored, 3 from the log)"
        ),
        (
            "UPDATE custody_steps SET seq = 99 WHERE item_id = 'EV-2'",
            "the rows of item EV-2 differ from the log (1 stored, 1 from the log)"
        ),
        (
            "INSERT INTO custody_steps SELECT 'EV-3 0000000001', 'EV-3', seq, state FROM custody_steps LIMIT 1",
            "the rows of item EV-3 do not follow from the log"
        ),
        (
            "INSERT INTO custody_steps SELECT 'EV-0 0000000001', 'EV-0', seq, state FROM custody_steps LIMIT 1",
            "the rows of item EV-0 do not follow from the log"
        ),
        (
            "INSERT INTO custody_steps SELECT 'nospace', 'EV-0', seq, state FROM custody_steps LIMIT 1",
            "row nospace does not follow from the log"
        ),
    ])
    func verifyComparesTheCustodyStepsItemByItem(_ edit: String, _ words: String) throws {
        let fixture = try handedOver()
        let store = fixture.ledger.store
        #expect(try VerifyRunner.verify(store: store, options: VerifyOptions(), source: "t").exitStatus == 0)
        let queue = try DatabaseQueue(path: fixture.ledger.path)
        try queue.write { db in try db.execute(sql: edit) }
        let report = try VerifyRunner.verify(store: store, options: VerifyOptions(), source: "t")
        #expect(report.failure?.rule == .projections)
        #expect(
            report.failure?.message.contains("the custody_steps projection: \(words)") == true,
            "\(report.failure?.message ?? "")")
        _ = try ProjectionRebuilder.rebuild(store: store)
        #expect(try VerifyRunner.verify(store: store, options: VerifyOptions(), source: "t").exitStatus == 0)
    }

    @Test func aRebuildOverAnUnreadableRecordNamesItsSeqAndChangesNothing() throws {
        let fixture = try CustodyFixture()
        try fixture.seize("EV-1")
        try fixture.seize("EV-2")
        let store = fixture.ledger.store
        // More than one parse batch, so that the old rows are already deleted when the broken record is met.
        let notes = (0..<4200).map { index in
            EventDraft(
                type: EventTypes.ledgerNote, stream: "ledger", data: ["text": .string("note \(index)")],
                signer: fixture.ledger.admin)
        }
        _ = try Appender.append(notes, to: store)
        let live = try projectionRows(of: store)
        #expect(!live.isEmpty)
        let seq = try store.read { try $0.entryCount() }
        // A tool that bypasses the append-only triggers breaks the last record's JSON.
        let queue = try DatabaseQueue(path: fixture.ledger.path)
        try queue.write { db in
            try db.execute(sql: "DROP TRIGGER entries_append_only_update")
            try db.execute(
                sql: "UPDATE entries SET record = CAST('{\"body\":{,' AS BLOB) WHERE seq = ?", arguments: [seq])
        }
        do {
            _ = try ProjectionRebuilder.rebuild(store: store)
            Issue.record("the rebuild accepted an unreadable record")
        } catch let error as LedgerError {
            #expect(error.kind == .integrity)
            #expect(error.description.hasPrefix("seq \(seq) is not a readable record"), "\(error)")
        }
        #expect(try projectionRows(of: store) == live)
    }

    /// Enough entries for several parse batches, and enough targets for several row batches, so that the rebuild's
    /// pipelines must keep their order.
    @Test func rebuildOfAManyTargetDemoReproducesTheLiveProjections() throws {
        let directory = TemporaryDirectory()
        _ = try Demo(directory: directory.path("demo"), stores: StandardStores(), targets: 3_000, log: { _ in }).run()
        let store = try ledgerLocation(directory.path("demo/custody.ledger")).open()
        func snapshot() throws -> [ProjectionRow] { try projectionRows(of: store) }
        let live = try snapshot()
        let report = try ProjectionRebuilder.rebuild(store: store)
        #expect(report.entries > 2 * 4096)  // the parse batch size
        #expect(live.filter { $0.table == .targets }.count == 3_000)
        #expect(report.rows == live.count)
        #expect(try snapshot() == live)
    }
}

/// Entries written by a tool that skipped the decision step: `ledger verify` reports them as custody findings.
struct CustodyFindingTests {
    @Test func aReleaseBySomeoneWhoDoesNotHoldTheItemIsAFinding() throws {
        let (builder, forged) = LedgerBuilder.releaseByNonHolder()
        let result = verifyRecords(builder.records)
        guard case .success(let summary) = result else {
            Issue.record("custody breaches are findings, not integrity failures: \(result)")
            return
        }
        let finding = try #require(summary.findings.first)
        #expect(finding.seq == forged.body.seq)
        #expect(finding.category == .custody)
        #expect(finding.message.contains("only the holder carol may record a release; bob acted"))
    }

    @Test func aTargetBreachInTheHistoryChangesNothingThatFollows() throws {
        var builder = LedgerBuilder()
        let carol = builder.register(name: "Carol", person: "carol", roles: [Roles.caseOfficer])
        let tina = builder.register(name: "Tina", person: "tina", roles: [Roles.takedownOfficer])
        builder.append(
            type: CustodyEvents.caseOpened, stream: "case/C",
            data: ["title": "T", "legal_basis": "L", "agencies": ["A"]],
            signer: carol)
        func identify(_ id: String, _ value: String) -> Entry {
            builder.append(
                type: CustodyEvents.targetIdentified, stream: "target/\(id)",
                data: [
                    "case": "C", "kind": "ip", "value": .string(value), "category": "phishing", "country": "NL",
                    "source": "feed",
                ], signer: tina)
        }
        let confirm: JSONValue = ["method": "suspended", "occurred_at": "2024-06-01T10:00:00Z"]
        _ = identify("T-1", "198.51.100.7")
        let second = identify("T-2", "198.51.100.7")
        // Still T-1's: the refused T-2 claimed nothing.
        let third = identify("T-3", "198.51.100.7")
        _ = identify("T-4", "198.51.100.8")
        let early = builder.append(
            type: CustodyEvents.targetReappeared, stream: "target/T-4", data: ["observed_at": "2024-06-02T10:00:00Z"],
            signer: tina)
        // T-4 is still there, unchanged by the breach: verified, then taken down without a finding.
        builder.append(type: CustodyEvents.targetVerified, stream: "target/T-4", data: [:], signer: tina)
        builder.append(type: CustodyEvents.takedownConfirmed, stream: "target/T-4", data: confirm, signer: tina)
        let again = builder.append(
            type: CustodyEvents.takedownConfirmed, stream: "target/T-4", data: confirm, signer: tina)
        guard case .success(let summary) = verifyRecords(builder.records) else {
            Issue.record("custody breaches are findings, not integrity failures")
            return
        }
        #expect(summary.findings.map(\.seq) == [second.body.seq, third.body.seq, early.body.seq, again.body.seq])
        let messages = summary.findings.map(\.message)
        #expect(messages.count == 4)
        guard messages.count == 4 else { return }
        #expect(messages[0].contains("198.51.100.7 is already target T-1"))
        #expect(messages[1].contains("198.51.100.7 is already target T-1"))
        #expect(messages[2].contains("only a taken-down target can reappear; target T-4 is identified"))
        #expect(messages[3].contains("needs an active target; target T-4 is taken-down"))
    }
}
