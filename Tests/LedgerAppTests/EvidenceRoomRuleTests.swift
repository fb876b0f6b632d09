import CustodyDomain
import Foundation
import LedgerApp
import LedgerCore
import LedgerCrypto
import LedgerTestSupport
import Testing

/// Issue 20's custody rules: a seal that is not the one released is never intact; the workflow rules a lab
/// enforces (version 2); the time of the act; acquisitions as the imaging tools report them.
struct EvidenceRoomRuleTests {
    private func expectRefused(
        _ fixture: CustodyFixture, _ words: String, code: CustodyViolation.Code? = nil,
        sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
    ) throws {
        let before = try fixture.count()
        do {
            try body()
            Issue.record("expected a refusal mentioning \"\(words)\"", sourceLocation: sourceLocation)
        } catch let error as LedgerError {
            #expect(error.description.contains(words), "\(error)", sourceLocation: sourceLocation)
            if let code { #expect(error.violation?.code == code, "\(error)", sourceLocation: sourceLocation) }
        }
        #expect(try fixture.count() == before, "a refused command appended nothing", sourceLocation: sourceLocation)
    }

    private func released(_ format: Int64 = EntryBody.statementVersion) throws -> CustodyFixture {
        let fixture = try CustodyFixture(format: format)
        try fixture.seize("EV-1")
        try fixture.record(
            CustodyEvents.custodyReleased, "item/EV-1", ["to": "bob", "purpose": "storage", "seal": "S-1"], by: "carol")
        return fixture
    }

    @Test(arguments: [Int64(1), 2])
    func aReceiptOfAnotherSealAsIntactIsRefusedNamingBothNumbers(format: Int64) throws {
        let fixture = try released(format)
        var data: JSONValue = ["seal": "S-99999", "seal_intact": true]
        if format == 2 { data = ["seal": "S-99999", "seal_intact": true, "location": "Lab"] }
        try expectRefused(fixture, "released under seal S-1, but the receipt states seal S-99999", code: .sealMismatch)
        {
            try fixture.record(CustodyEvents.custodyReceived, "item/EV-1", data, by: "bob")
        }
        // Recorded as not intact, the different number is kept and the item shows the exception.
        data =
            format == 2
            ? ["seal": "S-99999", "seal_intact": false, "location": "Lab"] : ["seal": "S-99999", "seal_intact": false]
        try fixture.record(CustodyEvents.custodyReceived, "item/EV-1", data, by: "bob")
        let (item, steps) = try #require(try CustodyQueries.item("EV-1", in: fixture.ledger.store))
        #expect(item.sealIncident && item.seal == nil && item.status == ItemStatus.inCustody)
        #expect(steps.last?.details.member("seal_check") == "broken")
    }

    /// A version-1 receipt an earlier release recorded as intact under another seal number stays applied as it was
    /// (the integrity verdict and the projections do not change) and becomes a custody finding naming both numbers.
    @Test(arguments: [Int64(1), 2])
    func aReceiptOfAnotherSealInTheHistoryIsACustodyFinding(version: Int64) throws {
        var builder = LedgerBuilder(version: version)
        let carol = builder.register(name: "Carol", person: "carol", roles: [Roles.caseOfficer, Roles.custodian])
        let bob = builder.register(name: "Bob", person: "bob", roles: [Roles.custodian])
        builder.append(
            type: CustodyEvents.caseOpened, stream: "case/C",
            data: ["title": "T", "legal_basis": "L", "agencies": ["A"]], signer: carol)
        builder.append(
            type: CustodyEvents.itemSeized, stream: "item/EV-62", data: CustodyFixture.seizure(caseID: "C"),
            signer: carol)
        builder.append(
            type: CustodyEvents.custodyReleased, stream: "item/EV-62",
            data: ["to": "bob", "purpose": "x", "seal": "S-1"], signer: carol)
        let receipt = builder.append(
            type: CustodyEvents.custodyReceived, stream: "item/EV-62",
            data: version == 1
                ? ["seal": "SEAL-99999", "seal_intact": true]
                : ["seal": "SEAL-99999", "seal_intact": true, "location": "Lab"],
            signer: bob)
        let checkpoint = builder.checkpoint()
        var verifier = CustodyVerifier(table: .custody, fold: CustodyState(), rootSizes: [checkpoint.checkpoint.size])
        for (index, record) in builder.records.enumerated() {
            try verifier.verify(
                PreparedEntry.prepare(
                    position: Int64(index + 1), record: record, knownKeys: verifier.knownPublicKeys, table: .custody))
        }
        let summary = try verifier.finish(checkpoints: [checkpoint], pinnedLogKey: nil)
        let finding = try #require(summary.findings.first)
        #expect(summary.findings.count == 1)
        #expect(finding.seq == receipt.body.seq && finding.category == .custody)
        #expect(finding.message.contains("released under seal S-1, but the receipt states seal SEAL-99999 intact"))
        // Applied as recorded: bob holds it, and the seal exception shows.
        var fold = verifier.fold
        let item = try #require(try fold.item("EV-62"))
        #expect(item.holder == "bob" && item.status == ItemStatus.inCustody && item.sealIncident)
    }

    @Test func aCaseDoesNotCloseWithItemsOutUnlessItSaysWhy() throws {
        let fixture = try released()
        try expectRefused(fixture, "has items 1 in-transit", code: .itemsOpen) {
            try fixture.record(CustodyEvents.caseClosed, "case/CASE-1", ["reason": "done"], by: "carol")
        }
        try fixture.record(
            CustodyEvents.caseClosed, "case/CASE-1",
            ["reason": "done", "override_reason": "EV-1 is with the court's courier; the case file is complete"],
            by: "carol")
        let record = try #require(try CustodyQueries.caseRecord("CASE-1", in: fixture.ledger.store))
        #expect(record.status == "closed" && record.closeOverride?.hasPrefix("EV-1 is with") == true)
    }

    @Test func aCheckedOutItemKeepsItsCaseOpenToo() throws {
        let fixture = try CustodyFixture()
        try fixture.seize("EV-1")
        try fixture.record(
            CustodyEvents.itemCheckedOut, "item/EV-1",
            ["to": "erin", "purpose": "imaging", "due": "2030-01-01T12:00:00+01:00"], by: "carol")
        try expectRefused(fixture, "1 checked-out", code: .itemsOpen) {
            try fixture.record(CustodyEvents.caseClosed, "case/CASE-1", ["reason": "done"], by: "carol")
        }
        let (_, steps) = try #require(try CustodyQueries.item("EV-1", in: fixture.ledger.store))
        #expect(steps.last?.details.member("due") == "2030-01-01T12:00:00+01:00")
    }

    @Test func aVersion1LedgerKeepsItsRules() throws {
        // Version 1: closing with an item in transit and destroying without a witness are allowed as before.
        let fixture = try released(1)
        try fixture.record(CustodyEvents.caseClosed, "case/CASE-1", ["reason": "done"], by: "carol")
        let other = try CustodyFixture(format: 1)
        try other.seize("EV-2")
        try other.record(
            CustodyEvents.itemDisposed, "item/EV-2", ["method": "destroyed", "authority": "Court order"], by: "carol")
        // And the new members are not part of version 1.
        try expectRefused(other, "unexpected member \"occurred_at\"") {
            try other.record(
                CustodyEvents.noteAdded, "item/EV-2", ["text": "x", "occurred_at": "2024-05-01T06:00:00Z"], by: "carol")
        }
    }

    @Test(arguments: [Int64(1), 2])
    func aTargetsCountryIsOfTheFrozenList(format: Int64) throws {
        let fixture = try CustodyFixture(format: format)
        func identify(_ id: String, _ country: String) throws {
            try fixture.record(
                CustodyEvents.targetIdentified, "target/\(id)",
                [
                    "case": "CASE-1", "kind": "ip",
                    "value": .string("198.51.100.\(country.unicodeScalars.first?.value ?? 0)"),
                    "category": "phishing", "country": .string(country), "source": "feed",
                ], by: "tina")
        }
        try identify("T-NL", "NL")
        try identify("T-XK", "XK")
        if format == 2 {
            try expectRefused(fixture, "must be an ISO 3166-1 alpha-2 country code such as NL") {
                try identify("T-ZZ", "ZZ")
            }
        } else {
            try identify("T-ZZ", "ZZ")
        }
    }

    @Test func destructionNeedsAWitness() throws {
        let fixture = try CustodyFixture()
        try fixture.seize("EV-1")
        try expectRefused(fixture, "needs a witnessing officer", code: .witnessRequired) {
            try fixture.record(
                CustodyEvents.itemDisposed, "item/EV-1", ["method": "destroyed", "authority": "Court order"],
                by: "carol")
        }
        let witness = LedgerFixture.keyID(try fixture.key("bob"))
        try fixture.record(
            CustodyEvents.itemDisposed, "item/EV-1",
            ["method": "destroyed", "authority": "Court order", "witness_key": .string(witness)], by: "carol",
            coSigners: ["bob"])
        #expect(try fixture.item("EV-1")?.status == ItemStatus.disposed)
    }

    @Test func everyPhysicalActTakesItsTimeButNotAFutureOne() throws {
        let fixture = try CustodyFixture()
        try fixture.seize("EV-1")
        try fixture.record(
            CustodyEvents.itemStored, "item/EV-1", ["location": "Vault", "occurred_at": "2024-05-01T09:30:00+02:00"],
            by: "carol")
        let (_, steps) = try #require(try CustodyQueries.item("EV-1", in: fixture.ledger.store))
        #expect(steps.last?.details.member("occurred_at") == "2024-05-01T09:30:00+02:00")
        try expectRefused(fixture, "after the statement was signed", code: .actAfterSigning) {
            try fixture.record(
                CustodyEvents.itemStored, "item/EV-1", ["location": "Vault", "occurred_at": "2999-01-01T00:00:00Z"],
                by: "carol")
        }
    }

    @Test func aReceiptSaysWhereTheItemIsNow() throws {
        let fixture = try released()
        try expectRefused(fixture, "lacks member \"location\"") {
            try fixture.record(
                CustodyEvents.custodyReceived, "item/EV-1", ["seal": "S-1", "seal_intact": true], by: "bob")
        }
        try fixture.record(
            CustodyEvents.custodyReceived, "item/EV-1",
            ["seal": "S-1", "seal_intact": true, "location": "NL lab, safe 2"],
            by: "bob")
        #expect(try fixture.item("EV-1")?.location == "NL lab, safe 2")
    }

    @Test func anAcquisitionMayReportMD5AndSHA1Only() throws {
        let fixture = try CustodyFixture()
        try fixture.seize("EV-1")
        let directory = TemporaryDirectory()
        let path = directory.path("disk.raw")
        try Data("abc".utf8).write(to: URL(fileURLWithPath: path))
        let image = try FileHasher.hash(path: path)
        // As ewfacquire reports a source: MD5 and SHA-1 only (of "abc"), upper case as some tools print them.
        let (data, matched) = try CustodyForms.acquisition(
            tool: "ewfacquire", toolVersion: "20140608", writeBlocker: nil,
            source: CustodyForms.SourceHashes(
                md5: "900150983cd24fb0d6963f7d28e17f72", sha1: "A9993E364706816ABA3E25717850C26C9CD0D89D", sha256: nil),
            images: [CustodyForms.Image(name: "disk.raw", digests: image)], reportedVerified: nil, notes: nil)
        #expect(matched, "the image's SHA-1 equals the reported SHA-1")
        try fixture.record(CustodyEvents.itemAcquired, "item/EV-1", data, by: "carol")
        let (_, steps) = try #require(try CustodyQueries.item("EV-1", in: fixture.ledger.store))
        #expect(steps.last?.details.member("source_sha1") == "a9993e364706816aba3e25717850c26c9cd0d89d")
        // The image files' own hash list keeps SHA-256.
        var noSHA256 = data
        if case .object(var members) = data, let index = members.firstIndex(where: { $0.name == "images" }) {
            members[index] = JSONMember(
                "images",
                [
                    [
                        "name": "disk.raw", "size": 3,
                        "hashes": [["alg": "md5", "value": .string(String(repeating: "aa", count: 16))]],
                    ]
                ])
            noSHA256 = .object(members)
        }
        try expectRefused(fixture, "must include a sha256 hash") {
            try fixture.record(CustodyEvents.itemAcquired, "item/EV-1", noSHA256, by: "carol")
        }
        // Version 1 still needs the source's SHA-256.
        let old = try CustodyFixture(format: 1)
        try old.seize("EV-1")
        try expectRefused(old, "must include a sha256 hash") {
            try old.record(CustodyEvents.itemAcquired, "item/EV-1", data, by: "carol")
        }
    }
}
