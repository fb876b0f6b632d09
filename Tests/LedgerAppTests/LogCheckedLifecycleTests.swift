import CustodyDomain
import LedgerApp
import LedgerCore
import LedgerCrypto
import LedgerTestSupport
import Testing

/// The appender checks every item row it decides on against a re-fold of the item's stream, and every key row
/// against its key stream: an untampered ledger is never refused, whatever happened to the item, its people and
/// their keys since.
struct LogCheckedLifecycleTests {
    @Test func everyItemEventOnAnUntamperedLedgerPassesTheChecks() throws {
        let fixture = try CustodyFixture()
        let store = fixture.ledger.store
        // A target of the case, and a parent item, referred to by the child's seizure.
        try fixture.record(
            CustodyEvents.targetIdentified, "target/T-1",
            [
                "case": .string(CustodyFixture.caseID), "kind": "domain", "value": "evil.example",
                "category": "phishing", "country": "NL", "source": "CERT",
            ], by: "tina")
        try fixture.seize("EV-P")
        var child = CustodyFixture.seizure(seal: "S-2")
        child = .object(
            (child.objectMembers ?? []) + [
                JSONMember("parent", "EV-P"), JSONMember("target", "T-1"),
                JSONMember("witness_key", .string(LedgerFixture.keyID(try fixture.key("erin")))),
            ])
        try fixture.record(CustodyEvents.itemSeized, "item/EV-C", child, by: "carol", coSigners: ["erin"])
        // Examination, imaging by the examiner, corrections by the author and by a supervisor, a note.
        try fixture.record(
            CustodyEvents.itemCheckedOut, "item/EV-C", ["to": "erin", "purpose": "imaging"], by: "carol")
        try fixture.record(CustodyEvents.itemUnsealed, "item/EV-C", ["seal": "S-2", "reason": "imaging"], by: "erin")
        try fixture.record(
            CustodyEvents.itemExamined, "item/EV-C", ["summary": "see http://evil.example", "report_reference": "R-1"],
            by: "erin")
        try fixture.record(CustodyEvents.itemSealed, "item/EV-C", ["seal": "S-3"], by: "erin")
        try fixture.record(CustodyEvents.itemCheckedIn, "item/EV-C", ["location": "Room C"], by: "erin")
        let seizedSeq = try #require(fixture.item("EV-C")?.seizedSeq)
        try fixture.record(
            CustodyEvents.entryCorrected, "item/EV-C",
            ["corrects": .integer(seizedSeq), "field": "description", "value": "Black laptop", "reason": "typo"],
            by: "carol")
        try fixture.record(
            CustodyEvents.entryCorrected, "item/EV-C",
            ["corrects": .integer(seizedSeq), "field": "location", "value": "Room A", "reason": "typo"], by: "sam")
        try fixture.record(CustodyEvents.noteAdded, "item/EV-C", ["text": "note"], by: "carol")
        // A transfer refused at receipt, redirected by a supervisor, received with a broken seal.
        try fixture.record(
            CustodyEvents.custodyReleased, "item/EV-C", ["to": "bob", "purpose": "storage", "seal": "S-3"],
            by: "carol")
        try fixture.record(CustodyEvents.custodyReceiptRefused, "item/EV-C", ["reason": "no room"], by: "bob")
        try fixture.record(CustodyEvents.custodyReleaseCancelled, "item/EV-C", ["reason": "back"], by: "carol")
        try fixture.record(
            CustodyEvents.custodyReleased, "item/EV-C", ["to": "bob", "purpose": "storage", "seal": "S-3"],
            by: "carol")
        try fixture.record(CustodyEvents.custodyReassigned, "item/EV-C", ["to": "dan", "reason": "leave"], by: "sam")
        try fixture.record(
            CustodyEvents.custodyReceived, "item/EV-C", ["seal_intact": false, "seal": "S-3", "location": "Lab"],
            by: "dan")
        // The people who acted lose their keys; one of them registers a new key with another agency.
        for person in ["carol", "erin"] {
            _ = try KeyManagement.revoke(
                keyID: LedgerFixture.keyID(try fixture.key(person)), reason: "rotated", compromisedSinceSeq: nil,
                signer: fixture.ledger.admin, store: store)
        }
        let carol = try fixture.ledger.register(name: "Officer carol", person: "carol", roles: [Roles.custodian])
        // Later events on both items still decide on checked rows; the parent is disposed of with a witness.
        try fixture.record(CustodyEvents.itemStored, "item/EV-C", ["location": "Vault"], by: "dan")
        let disposal = EventDraft(
            type: CustodyEvents.itemDisposed, stream: "item/EV-P",
            data: [
                "method": "destroyed", "authority": "Court order 9",
                "witness_key": .string(LedgerFixture.keyID(try fixture.key("bob"))),
            ], signer: try fixture.key("sam"), coSigners: [try fixture.key("bob")])
        _ = try Appender.append([disposal], to: store)
        // One batch touching the same item twice, and chunks that touch it on either side of a commit.
        let stored = EventDraft(
            type: CustodyEvents.itemStored, stream: "item/EV-C", data: ["location": "Vault 2"],
            signer: try fixture.key("dan"))
        let release = EventDraft(
            type: CustodyEvents.custodyReleased, stream: "item/EV-C", data: ["to": "carol", "purpose": "court"],
            signer: try fixture.key("dan"))
        _ = try Appender.append([stored, release], to: store)
        let receipt = EventDraft(
            type: CustodyEvents.custodyReceived, stream: "item/EV-C", data: ["seal_intact": true, "location": "Lab"],
            signer: carol)
        let back = EventDraft(
            type: CustodyEvents.custodyReleased, stream: "item/EV-C", data: ["to": "dan", "purpose": "storage"],
            signer: carol)
        _ = try Appender.append(batches: [[receipt], [back]], to: store)
        #expect(try fixture.item("EV-C")?.status == ItemStatus.inTransit)
        #expect(try fixture.item("EV-P")?.status == ItemStatus.disposed)
        #expect(try VerifyRunner.verify(store: store, options: VerifyOptions(), source: "t").exitStatus == 0)
    }
}
