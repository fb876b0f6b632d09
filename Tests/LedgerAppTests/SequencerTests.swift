import CourtBundle
import CustodyDomain
import Foundation
import LedgerApp
import LedgerCore
import LedgerCrypto
import LedgerTestSupport
import Testing

/// Sequencing statements signed elsewhere into a version-2 ledger (FORMAT.md §12.8): each statement judged on its
/// own, the group committed with its checkpoint, and the result verifying.
struct SequencerTests {
    /// A clock fixed at `offset` milliseconds from now.
    struct ShiftedClock: LedgerClock {
        let offset: Int64
        func millisecondsSince1970() -> Int64 { SystemClock().millisecondsSince1970() + offset }
    }

    private func fixture() throws -> (LedgerFixture, Ed25519PrivateKey) {
        let fixture = try LedgerFixture(format: 2)
        let carol = try fixture.register(name: "Carol", person: "carol", roles: ["supervisor"])
        return (fixture, carol)
    }

    private func note(
        _ text: String, on stream: String = "ledger", after earlier: [SignedStatement] = [], in fixture: LedgerFixture,
        by key: Ed25519PrivateKey, clock: any LedgerClock = SystemClock()
    ) throws -> SignedStatement {
        let position = try StreamPosition.of(stream, in: fixture.store)
        return try StatementSigning.sign(
            at: StatementSigning.position(after: earlier, from: position), type: EventTypes.ledgerNote,
            data: ["text": .string(text)], signer: key, clock: clock)
    }

    private func statuses(_ outcomes: [SubmitOutcome]) -> [String] {
        outcomes.map { outcome in
            switch outcome.status {
            case .recorded(let seq): "recorded \(seq)"
            case .alreadyRecorded(let seq): "already \(seq)"
            case .refused(let error): "refused \(error.code.rawValue): \(error.description)"
            }
        }
    }

    private func verifies(_ fixture: LedgerFixture) throws {
        let report = try VerifyRunner.verify(
            store: fixture.reopen(readOnly: true), options: VerifyOptions(), source: fixture.path)
        #expect(report.failure == nil, "\(String(describing: report.failure))")
        #expect(report.summary?.findings.isEmpty == true)
    }

    @Test func aRefusedStatementNeverStopsTheOthersOfItsGroup() throws {
        let (fixture, carol) = try fixture()
        let first = try note("one", in: fixture, by: carol)
        let future = try note("from the future", in: fixture, by: carol, clock: ShiftedClock(offset: 600_000))
        let foreign = try LedgerFixture(format: 2)
        let elsewhere = try note("another ledger", in: foreign, by: foreign.admin)
        let second = try note("two", after: [first], in: fixture, by: carol)
        let before = try fixture.count()
        let outcomes = try Sequencer.submit([future, first, elsewhere, second], to: fixture.store)
        let text = statuses(outcomes)
        #expect(text[0].contains("signed in the future"), "\(text[0])")
        #expect(text[1] == "recorded \(before + 1)")
        #expect(text[2].contains("signed for another ledger"), "\(text[2])")
        #expect(text[3] == "recorded \(before + 2)")
        #expect(try fixture.count() == before + 2)
        // One checkpoint for the group, at its final size.
        let sizes = try fixture.store.read { try $0.checkpointNotes().map(\.size) }
        #expect(sizes.last == before + 2)
        try verifies(fixture)
    }

    @Test func aGroupOfManyPartsIsInsertedAsPlacedAndItsRefusalsSpareTheRest() throws {
        // 700 chained notes over three parts of 256, with statements for another ledger and a repeated id among them:
        // the entries are inserted a part at a time while the later parts' signatures are checked.
        let (fixture, carol) = try fixture()
        var notes: [SignedStatement] = []
        for index in 0..<700 { notes.append(try note("n\(index)", after: notes, in: fixture, by: carol)) }
        let foreign = try LedgerFixture(format: 2)
        var group = notes
        for position in [650, 400, 100] {
            group.insert(try note("elsewhere \(position)", in: foreign, by: foreign.admin), at: position)
        }
        group.insert(notes[10], at: 520)
        // Data its type's schema refuses, in the second part: the workers find it invalid ahead, and the rules then
        // refuse it with the schema's own words.
        let badData = try StatementSigning.sign(
            at: try StreamPosition.of("case/OP-BAD", in: fixture.store), type: "case.opened",
            data: ["title": "No legal basis"], signer: carol)
        group.insert(badData, at: 300)
        let before = try fixture.count()
        let outcomes = try Sequencer.submit(group, to: fixture.store)
        let refused = outcomes.enumerated().compactMap { index, outcome -> Int? in outcome.seq == nil ? index : nil }
        #expect(refused == [100, 300, 402, 521, 654])
        #expect(statuses([outcomes[300]])[0].contains("legal_basis"), "\(statuses([outcomes[300]])[0])")
        #expect(outcomes.compactMap(\.seq) == Array((before + 1)...(before + 700)))
        #expect(try fixture.count() == before + 700)
        let sizes = try fixture.store.read { try $0.checkpointNotes().map(\.size) }
        #expect(sizes.last == before + 700)
        try verifies(fixture)
    }

    @Test func aGroupThatChangesManyRowsWritesWhatAReplayBuilds() throws {
        // 600 targets identified in one group: their rows (and the case's figures) are serialized on all cores at
        // the group's end, and must be exactly the rows a replay of the log builds.
        let fixture = try CustodyFixture()
        let tina = try fixture.key("tina")
        let statements = try (0..<600).map { index in
            try StatementSigning.sign(
                at: try StreamPosition.of("target/T-\(index)", in: fixture.ledger.store),
                type: CustodyEvents.targetIdentified,
                data: [
                    "case": .string(CustodyFixture.caseID), "kind": "ip",
                    "value": .string("198.18.\(index / 256).\(index % 256)"), "category": "phishing",
                    "country": "NL", "source": "feed",
                ], signer: tina)
        }
        let outcomes = try Sequencer.submit(statements, to: fixture.ledger.store)
        #expect(outcomes.allSatisfy { $0.seq != nil })
        let written = try projectionRows(of: fixture.ledger.store)
        #expect(written.filter { $0.table == .targets }.count == 600)
        _ = try ProjectionRebuilder.rebuild(store: fixture.ledger.store)
        #expect(try projectionRows(of: fixture.ledger.store) == written)
        try verifies(fixture.ledger)
    }

    @Test func offlineStatementsOfDifferentStreamsMayBeSubmittedInAnotherOrderThanSigned() throws {
        let (fixture, carol) = try fixture()
        let onLedger = try note("on the ledger stream", in: fixture, by: carol)
        let onCarol = try StatementSigning.sign(
            at: try StreamPosition.of("key/\(LedgerFixture.keyID(carol))", in: fixture.store),
            type: EventTypes.keyRevoked, data: ["reason": "rotated"], signer: carol)
        let outcomes = try Sequencer.submit([onCarol, onLedger], to: fixture.store)
        // Carol's key is revoked first, so her note, judged at the seq it gets, is refused: validity is judged at
        // sequencing, never at signed_at.
        #expect(statuses(outcomes)[0].hasPrefix("recorded"))
        #expect(statuses(outcomes)[1].contains("revoked"), "\(statuses(outcomes)[1])")
        let (other, dan) = try self.fixture()
        let a = try note("a", in: other, by: dan)
        let b = try note("b", on: "ledger", after: [a], in: other, by: dan)
        // Chained on one stream, the later one first: it is a conflict, and recorded once the first is in.
        #expect(statuses(try Sequencer.submit([b], to: other.store))[0].contains("stale-revision"))
        #expect(statuses(try Sequencer.submit([a, b], to: other.store)).allSatisfy { $0.hasPrefix("recorded") })
        try verifies(fixture)
        try verifies(other)
    }

    @Test func resubmissionIsIdempotentAndAnAlteredStatementWithTheSameIDConflicts() throws {
        let (fixture, carol) = try fixture()
        let first = try note("one", in: fixture, by: carol)
        let seq = try #require(try Sequencer.submit([first], to: fixture.store)[0].seq)
        // The same statement with other signature bytes (Ed25519 is deterministic, so re-sign a copy whose sig is
        // replaced by another valid-looking one): the statement hash decides.
        var resigned = first
        resigned.add(EntrySignature(key: LedgerFixture.keyID(carol), signature: [UInt8](repeating: 7, count: 64)))
        #expect(statuses(try Sequencer.submit([resigned], to: fixture.store)) == ["already \(seq)"])
        let altered = try StatementSigning.sign(
            at: try StreamPosition.of("ledger", in: fixture.store), type: EventTypes.ledgerNote,
            data: ["text": "different"], signer: carol, id: first.body.id)
        let text = statuses(try Sequencer.submit([altered], to: fixture.store))[0]
        #expect(text.contains("id-conflict") && text.contains("already recorded at seq \(seq)"), "\(text)")
        try verifies(fixture)
    }

    @Test func aStatementSignedDaysBeforeItIsRecordedShowsBothTimesAndTheDelay() throws {
        let (fixture, carol) = try fixture()
        let twoDaysAgo = ShiftedClock(offset: -(2 * 86_400_000 + 3 * 3_600_000))
        // A new stream: no earlier state it could have been signed before (that would be refused, §12.5 rule 3).
        let statement = try StatementSigning.sign(
            at: try StreamPosition.of("case/OP-9", in: fixture.store), type: "case.opened",
            data: ["title": "Field case", "legal_basis": "JIT 9", "agencies": ["NCA"]], signer: carol,
            lifetime: 7 * 86_400_000, clock: twoDaysAgo)
        let seq = try #require(try Sequencer.submit([statement], to: fixture.store)[0].seq)
        let signed = try StatementTimes.signedAt([seq], in: fixture.store)
        #expect(signed[seq] == statement.body.signedAt)
        let record = try fixture.records()[Int(seq) - 1]
        let body = try Entry.parse(record: record).body
        #expect(StatementTimes.delay(signedAt: body.signedAt, recorded: body.time) == "2 d 3 h")
        #expect(StatementTimes.delay(signedAt: body.time, recorded: body.time) == nil)
        try verifies(fixture)
    }

    @Test func anAnchorIsCheckedAgainstTheLedgersTreeWhenSequenced() throws {
        let (fixture, carol) = try fixture()
        let size = try fixture.count()
        let root = Hex.encode(try fixture.store.read { try $0.root(size: size) })
        let position = try StreamPosition.of("ledger", in: fixture.store)
        let anchored = try StatementSigning.sign(
            at: position, type: EventTypes.ledgerNote, data: ["text": "seen"], signer: carol,
            anchor: StatementAnchor(size: size, root: root))
        #expect(statuses(try Sequencer.submit([anchored], to: fixture.store))[0].hasPrefix("recorded"))
        let wrong = try StatementSigning.sign(
            at: try StreamPosition.of("ledger", in: fixture.store), type: EventTypes.ledgerNote,
            data: ["text": "not seen"], signer: carol,
            anchor: StatementAnchor(size: size, root: String(repeating: "0", count: 64)))
        #expect(statuses(try Sequencer.submit([wrong], to: fixture.store))[0].contains("is not a tree of this ledger"))
        try verifies(fixture)
    }

    @Test func aCourtBundleShowsWhenAStatementWasSignedLongBeforeItWasRecorded() throws {
        let (fixture, carol) = try fixture()
        let custodian = try fixture.register(name: "Erin", person: "erin", roles: ["custodian", "case-officer"])
        let twoDaysAgo = ShiftedClock(offset: -(2 * 86_400_000 + 3 * 3_600_000))
        let open = try StatementSigning.sign(
            at: try StreamPosition.of("case/\(CustodyFixture.caseID)", in: fixture.store), type: "case.opened",
            data: ["title": "Field case", "legal_basis": "JIT 9", "agencies": ["NCA"]], signer: custodian,
            lifetime: 7 * 86_400_000, clock: twoDaysAgo)
        let seize = try StatementSigning.sign(
            at: try StreamPosition.of("item/EV-1", in: fixture.store), type: "item.seized",
            data: CustodyFixture.seizure(), signer: custodian, lifetime: 7 * 86_400_000, clock: twoDaysAgo)
        #expect(
            statuses(try Sequencer.submit([open, seize], to: fixture.store)).allSatisfy { $0.hasPrefix("recorded") })
        _ = carol
        let out = fixture.directory.path("bag")
        _ = try Exporter.export(
            store: fixture.store, logKey: fixture.logKey, options: ExportOptions(selection: .items(["EV-1"]), out: out))
        let report = try String(contentsOfFile: out + "/" + BundleLayout.report, encoding: .utf8)
        #expect(report.contains("2 d 3 h before it was recorded"), "\(report)")
        let checked = try BundleChecker.check(
            directory: out, options: BundleVerifier.Options(trustedLogKey: nil), tsaCAFile: nil)
        #expect(checked.failure == nil, "\(String(describing: checked.failure))")
        #expect(checked.exitStatus == 0)
    }

    @Test func aVersion1LedgerRefusesStatementsAndStaysWritableWithVersion1Rules() throws {
        let fixture = try LedgerFixture(format: 1)
        let bob = try fixture.register()
        #expect(throws: LedgerError.self) { try StreamPosition.of("ledger", in: fixture.store) }
        let appended = try Appender.append(
            [EventDraft(type: EventTypes.ledgerNote, stream: "ledger", data: ["text": "v1"], signer: fixture.admin)],
            to: fixture.store)
        #expect(appended.seqs == [4])
        let records = try fixture.records()
        #expect(records.allSatisfy { (try? Entry.parse(record: $0))?.body.version == 1 })
        _ = bob
        try verifies(fixture)
    }
}
