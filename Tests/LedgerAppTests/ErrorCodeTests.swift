import CustodyDomain
import LedgerApp
import LedgerCore
import LedgerCrypto
import LedgerTestSupport
import Testing

/// Errors carry codes a caller can switch over (a server maps them to HTTP statuses, a web page to a field), and one
/// table maps every code to its exit status and HTTP status.
struct ErrorCodeTests {
    private func error(_ body: () throws -> Void) -> LedgerError? {
        do { try body() } catch { return LedgerError.from(error) }
        return nil
    }

    @Test func aCustodyRefusalNamesItsRuleAndField() throws {
        let fixture = try CustodyFixture()
        try fixture.seize("EV-1")
        let wrongSeal = error {
            try fixture.record(
                CustodyEvents.custodyReleased, "item/EV-1", ["to": "bob", "purpose": "x", "seal": "S-9"], by: "carol")
        }
        #expect(wrongSeal?.code == .custody)
        #expect(wrongSeal?.violation?.code == .sealMismatch)
        #expect(wrongSeal?.violation?.field == "data.seal")
        #expect(wrongSeal?.code.exitStatus == 4)
        #expect(wrongSeal?.code.httpStatus == 409)

        let notHolder = error {
            try fixture.record(
                CustodyEvents.custodyReleased, "item/EV-1", ["to": "dan", "purpose": "x", "seal": "S-1"], by: "bob")
        }
        #expect(notHolder?.violation?.code == .notHolder)
        #expect(notHolder?.violation?.field == nil)

        let unknownRecipient = error {
            try fixture.record(
                CustodyEvents.custodyReleased, "item/EV-1", ["to": "nobody", "purpose": "x", "seal": "S-1"],
                by: "carol")
        }
        #expect(unknownRecipient?.violation?.code == .unknownPerson)
        let closedOrMissingCase = error {
            try fixture.record(
                CustodyEvents.itemSeized, "item/EV-2", CustodyFixture.seizure(caseID: "NOPE"), by: "carol")
        }
        #expect(closedOrMissingCase?.violation?.code == .unknownCase)
        #expect(closedOrMissingCase?.violation?.field == "data.case")
    }

    @Test func appendConflictsHaveTheirOwnCodes() throws {
        let fixture = try LedgerFixture()
        let note = { (text: String, id: String?, expectRev: Int64?) in
            EventDraft(
                id: id, type: EventTypes.ledgerNote, stream: "ledger", data: ["text": .string(text)],
                expectRev: expectRev, signer: fixture.admin)
        }
        let stale = error { _ = try Appender.append([note("a", nil, 0)], to: fixture.store) }
        #expect(stale?.code == .staleRevision)
        #expect(stale?.code.httpStatus == 412)
        let id = SecureRandom.uuidV4()
        _ = try Appender.append([note("first", id, nil)], to: fixture.store)
        let reused = error { _ = try Appender.append([note("other", id, nil)], to: fixture.store) }
        #expect(reused?.code == .idConflict)
        let badType = error {
            _ = try Appender.append(
                [EventDraft(type: "no.such-type", stream: "ledger", data: [:], signer: fixture.admin)],
                to: fixture.store)
        }
        #expect(badType?.code == .invalidEntry)
        var strangers = note("who?", nil, nil)
        strangers.signer = Ed25519PrivateKey.generate()
        let stranger = error { _ = try Appender.append([strangers], to: fixture.store) }
        #expect(stranger?.code == .signature)
        #expect(stranger?.code.httpStatus == 403)
    }

    @Test func storeErrorsKeepTheirMeaning() throws {
        let directory = TemporaryDirectory()
        let missing = error { _ = try ledgerLocation(directory.path("none.ledger")).open() }
        #expect(missing?.code == .notFound)
        #expect(missing?.code.exitStatus == 2)
        #expect(missing?.code.httpStatus == 404)
        let url = error { _ = try ledgerLocation("postgresql://ada:secret@db.example/ledger").open() }
        #expect(url?.code == .usage)
        #expect(url?.description.contains("secret") == false, "a location never echoes its password")
        #expect(
            url?.description.hasPrefix("postgresql://ada:***@db.example/ledger:") == true, "\(url?.description ?? "")")
    }

    /// The one table: every code has an exit status of FORMAT.md §9 and an HTTP error status.
    @Test(arguments: LedgerError.Code.allCases)
    func everyCodeHasAnExitAndHTTPStatus(_ code: LedgerError.Code) {
        #expect([1, 2, 4].contains(code.exitStatus))
        #expect((400...599).contains(code.httpStatus))
        #expect(code.exitStatus == code.kind.rawValue)
    }
}
