import CustodyDomain
import Foundation
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
        #expect(wrongSeal?.code.exitStatus == 5)
        #expect(wrongSeal?.code.httpStatus == 422)

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
        #expect(unknownRecipient?.code == .notFound)
        #expect(unknownRecipient?.code.exitStatus == 2)
        #expect(unknownRecipient?.code.httpStatus == 404)
        let closedOrMissingCase = error {
            try fixture.record(
                CustodyEvents.itemSeized, "item/EV-2", CustodyFixture.seizure(caseID: "NOPE"), by: "carol")
        }
        #expect(closedOrMissingCase?.violation?.code == .unknownCase)
        #expect(closedOrMissingCase?.violation?.field == "data.case")
        #expect(closedOrMissingCase?.code.exitStatus == 2)

        let unknownItem = error {
            try fixture.record(
                CustodyEvents.custodyReleased, "item/EV-404", ["to": "bob", "purpose": "x"], by: "carol")
        }
        #expect(unknownItem?.violation?.code == .unknownItem)
        #expect(unknownItem?.code.exitStatus == 2, "an unknown id is a usage error, as `ledger item show` says")
        let seizedTwice = error { try fixture.seize("EV-1") }
        #expect(seizedTwice?.code == .exists)
        #expect(seizedTwice?.code.exitStatus == 5)
        #expect(seizedTwice?.code.httpStatus == 409)
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
        #expect(stale?.code.exitStatus == 4)
        #expect(stale?.code.httpStatus == 409)
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
        #expect(stranger?.code.exitStatus == 5)
        #expect(stranger?.code.httpStatus == 401)
    }

    @Test func storeErrorsKeepTheirMeaning() throws {
        let directory = TemporaryDirectory()
        let missing = error { _ = try ledgerLocation(directory.path("none.ledger")).open() }
        #expect(missing?.code == .notFound)
        #expect(missing?.code.exitStatus == 2)
        #expect(missing?.code.httpStatus == 404)
        let url = error { _ = try ledgerLocation("mysql://ada:secret@db.example/ledger").open() }
        #expect(url?.code == .usage)
        #expect(url?.description.contains("secret") == false, "a location never echoes its password")
        #expect(url?.description.hasPrefix("mysql://ada:***@db.example/ledger:") == true, "\(url?.description ?? "")")
        // A database server that cannot be reached (nothing listens on port 1): a store error, no password shown.
        let unreachable = error { _ = try ledgerLocation("postgresql://ada:secret@127.0.0.1:1/ledger").open() }
        #expect(unreachable?.code == .store)
        #expect(unreachable?.code.httpStatus == 503)
        #expect(unreachable?.description.contains("secret") == false, "a location never echoes its password")
        #expect(
            unreachable?.description.hasPrefix("cannot connect to postgresql://ada@127.0.0.1:1/ledger") == true,
            "\(unreachable?.description ?? "")")
        let typo = error {
            _ = try ledgerLocation("postgresql://ada:secret@127.0.0.1/ledger?sslmode=verify_full").open()
        }
        #expect(typo?.code == .usage)
        #expect(typo?.description.contains("sslmode=verify_full is not one of") == true, "\(typo?.description ?? "")")
    }

    /// The one table: every code has an exit status of FORMAT.md §9 and an HTTP error status.
    @Test(arguments: LedgerError.Code.allCases)
    func everyCodeHasAnExitAndHTTPStatus(_ code: LedgerError.Code) {
        #expect([1, 2, 4, 5].contains(code.exitStatus))
        #expect((400...599).contains(code.httpStatus))
        #expect(code.exitStatus == code.kind.rawValue)
    }
}

/// FORMAT.md §9, README and `ledger --help` give the one table the code has.
struct ExitStatusDocumentationTests {
    private func text(_ path: String) throws -> String {
        try String(contentsOf: Repository.root.appendingPathComponent(path), encoding: .utf8)
    }

    /// The rows of the first Markdown table after `heading` whose header starts with `firstColumn`.
    private func table(in text: String, after heading: String, firstColumn: String) -> [[String]] {
        guard let start = text.range(of: heading) else { return [] }
        var rows: [[String]] = []
        var inTable = false
        for line in text[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("## ") { break }
            if line.hasPrefix("| \(firstColumn) |") {
                inTable = true
                continue
            }
            guard inTable else { continue }
            guard line.hasPrefix("|") else { break }
            if line.hasPrefix("|---") { continue }
            rows.append(
                line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        }
        return rows
    }

    @Test func formatSection9GivesEveryCodesExitAndHTTPStatus() throws {
        let rows = table(in: try text("docs/FORMAT.md"), after: "## 9. Exit statuses", firstColumn: "code")
        #expect(rows.map { $0[0] } == LedgerError.Code.allCases.map { "`\($0.rawValue)`" })
        for (row, code) in zip(rows, LedgerError.Code.allCases) {
            #expect(row[1] == String(code.exitStatus), "\(code)")
            #expect(row[2] == String(code.httpStatus), "\(code)")
        }
    }

    @Test func formatSection9AndReadmeGiveEveryExitStatus() throws {
        let rows = table(in: try text("docs/FORMAT.md"), after: "## 9. Exit statuses", firstColumn: "status")
        #expect(rows.map { $0[0] } == LedgerError.exitStatuses.map { String($0.status) })
        for (row, status) in zip(rows, LedgerError.exitStatuses) {
            #expect(row[1].hasPrefix(status.meaning), "FORMAT.md §9 status \(status.status): \(row[1])")
        }
        let readme = try text("README.md").replacingOccurrences(of: "\n", with: " ")
        #expect(readme.contains("Exit statuses of every command: \(LedgerError.exitStatusSummary)."))
        // Every kind of error has its own status, and every status an error can have is in the table.
        #expect(Set(LedgerError.Kind.allCases.map(\.rawValue)).count == LedgerError.Kind.allCases.count)
        #expect(
            LedgerError.Kind.allCases.allSatisfy { kind in
                LedgerError.exitStatuses.contains { $0.status == kind.rawValue }
            })
    }
}
