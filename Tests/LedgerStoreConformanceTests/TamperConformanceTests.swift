import CustodyDomain
import Foundation
import LedgerApp
import LedgerCore
import LedgerCrypto
import LedgerTestSupport
import Testing

/// A change to the stored ledger that no store operation makes, and what `ledger verify` must say about it.
struct Tamper: Sendable, CustomTestStringConvertible {
    let name: String
    /// The change in SQL, for the SQLite store.
    let sql: String
    /// The change in PostgreSQL's SQL where it differs (bytea for blobs, JSON text in projection columns).
    var postgres: String? = nil
    /// The same change through the in-memory store's tamper hook.
    let memory: @Sendable (inout InMemoryLedgerState) -> Void
    let rule: VerificationRule
    let seq: Int64?
    /// Words the failure's description must contain.
    let words: String

    var testDescription: String { name }

    /// Bob registered at seq 3, notes "note 0" to "note 5" at seqs 4–9, a stored checkpoint of size 9.
    static let all: [Tamper] = [
        Tamper(
            name: "changed record byte",
            sql: "UPDATE entries SET record = replace(record, 'note 2', 'note 3') WHERE seq = 6",
            postgres:
                "UPDATE entries SET record = convert_to(replace(convert_from(record, 'UTF8'), 'note 2', 'note 3'), 'UTF8')"
                + " WHERE seq = 6",
            memory: { state in
                state.modifyEntry(seq: 6) {
                    $0.record = String(decoding: $0.record, as: UTF8.self).replacingBytes("note 2", with: "note 3")
                }
            }, rule: .signatures, seq: 6, words: "seq 6"),
        Tamper(
            name: "changed leaf hash", sql: "UPDATE entries SET leaf_hash = zeroblob(32) WHERE seq = 4",
            postgres: "UPDATE entries SET leaf_hash = decode(repeat('00', 32), 'hex') WHERE seq = 4",
            memory: { $0.modifyEntry(seq: 4) { $0.leafHash = [UInt8](repeating: 0, count: 32) } },
            rule: .merkleTree, seq: 4, words: "the stored leaf hash does not match the record"),
        Tamper(
            name: "changed interior node", sql: "UPDATE entries SET nodes = zeroblob(length(nodes)) WHERE seq = 8",
            postgres: "UPDATE entries SET nodes = decode(repeat('00', length(nodes)), 'hex') WHERE seq = 8",
            memory: { $0.modifyEntry(seq: 8) { $0.nodes = [UInt8](repeating: 0, count: $0.nodes.count) } },
            rule: .merkleTree, seq: 8, words: "the stored Merkle node at level 1 does not match"),
        Tamper(
            name: "removed last entry", sql: "DELETE FROM entries WHERE seq = 9",
            memory: { $0.removeEntry(seq: 9) }, rule: .checkpoints, seq: nil, words: "truncated or rolled back"),
        Tamper(
            name: "removed entry", sql: "DELETE FROM entries WHERE seq = 5",
            memory: { $0.removeEntry(seq: 5) }, rule: .sequence, seq: 5, words: "the record says seq 6, expected 5"),
        Tamper(
            name: "changed lookup column", sql: "UPDATE entries SET body_hash = zeroblob(32) WHERE seq = 9",
            postgres: "UPDATE entries SET body_hash = decode(repeat('00', 32), 'hex') WHERE seq = 9",
            memory: { $0.modifyEntry(seq: 9) { $0.bodyHash = [UInt8](repeating: 0, count: 32) } },
            rule: .storedState, seq: 9, words: "the stored columns"),
        Tamper(
            name: "forged stored checkpoint",
            sql:
                "UPDATE checkpoints SET note = replace(note, char(10) || '9' || char(10), char(10) || '8' || char(10))",
            postgres:
                "UPDATE checkpoints SET note = replace(note, chr(10) || '9' || chr(10), chr(10) || '8' || chr(10))",
            memory: { state in
                state.checkpoints[9] = state.checkpoints[9]?.replacingOccurrences(of: "\n9\n", with: "\n8\n")
            }, rule: .checkpoints, seq: nil, words: "checkpoint"),
        Tamper(
            name: "edited keys table", sql: "UPDATE keys SET roles = 'admin custodian' WHERE person = 'bob'",
            memory: { state in
                guard let bob = state.keys.values.first(where: { $0.person == "bob" }) else { return }
                state.keys[bob.keyID] = KeyState(
                    keyID: bob.keyID, publicKey: bob.publicKey, name: bob.name, person: bob.person, agency: bob.agency,
                    roles: ["admin", "custodian"], registeredSeq: bob.registeredSeq)
            }, rule: .storedState, seq: nil, words: "keys table entry"),
        Tamper(
            name: "edited origin", sql: "UPDATE meta SET value = 'ledger.test.example/other' WHERE name = 'origin'",
            memory: { $0.meta["origin"] = "ledger.test.example/other" }, rule: .storedState, seq: nil,
            words: "the stored origin does not match"),
        Tamper(
            name: "edited projection state", sql: "UPDATE people SET state = state || ' ' WHERE key = 'bob'",
            memory: { state in
                guard let row = state.projectionRow(.people, key: "bob") else { return }
                state.replaceProjectionRow(
                    ProjectionRow(table: row.table, key: row.key, columns: row.columns, state: row.state + " "))
            }, rule: .projections, seq: nil, words: "row bob differs from the log in state"),
        Tamper(
            name: "edited projection column", sql: "UPDATE people SET agency = 'Other Agency' WHERE key = 'bob'",
            postgres: "UPDATE people SET agency = '\"Other Agency\"' WHERE key = 'bob'",
            memory: { state in
                guard let row = state.projectionRow(.people, key: "bob") else { return }
                state.replaceProjectionRow(
                    ProjectionRow(table: row.table, key: row.key, columns: ["Other Agency"], state: row.state))
            }, rule: .projections, seq: nil, words: "row bob differs from the log in agency"),
        Tamper(
            name: "removed projection row", sql: "DELETE FROM people WHERE key = 'bob'",
            memory: { $0.removeProjectionRow(.people, key: "bob") }, rule: .projections, seq: nil,
            words: "row bob is missing"),
        Tamper(
            name: "stale projection table", sql: "UPDATE projection_state SET seq = 3 WHERE name = 'cases'",
            memory: { $0.projectionBuiltTo["cases"] = 3 }, rule: .projections, seq: nil,
            words: "built to seq 3 but the log has 9 entries"),
    ]
}

/// Every change a store can hold that the verifier must catch, made to each store and named by `ledger verify`.
struct TamperConformanceTests {
    private func ledgerWithEntries(_ kind: StoreKind) throws -> LedgerFixture {
        let fixture = try kind.fixture()
        try fixture.register()
        for index in 0..<6 {
            _ = try Appender.append([note("note \(index)", signer: fixture.admin)], to: fixture.store)
        }
        _ = try Checkpointer.checkpoint(store: fixture.store, logKey: fixture.logKey)
        return fixture
    }

    @Test(arguments: StoreKind.allCases, Tamper.all)
    func theVerifierNamesTheChange(_ kind: StoreKind, _ tamper: Tamper) throws {
        let fixture = try ledgerWithEntries(kind)
        #expect(try fixture.verifyFailure() == nil)
        try fixture.tamper(sql: tamper.sql, postgres: tamper.postgres, memory: tamper.memory)
        let failure = try #require(try fixture.verifyFailure())
        #expect(failure.rule == tamper.rule, "\(failure)")
        #expect(failure.seq == tamper.seq, "\(failure)")
        #expect(failure.description.contains(tamper.words), "\(failure)")
    }

    /// A column a superuser gave another type (or emptied) is damage that `ledger verify` names, never a value read
    /// as another: PostgreSQL's scans read their cells by type and format.
    @Test(arguments: ["ALTER TABLE entries ALTER COLUMN stream_rev TYPE integer", "UPDATE entries SET record = NULL"])
    func aColumnOfAnotherTypeIsNamedAsDamageOnPostgres(_ change: String) throws {
        guard StoreKind.allCases.contains(.postgres) else { return }
        let fixture = try ledgerWithEntries(.postgres)
        try fixture.tamper(
            sql: change,
            postgres: change == "UPDATE entries SET record = NULL"
                ? "ALTER TABLE entries ALTER COLUMN record DROP NOT NULL; \(change) WHERE seq = 3" : change,
            memory: { _ in })
        let failure = try #require(try fixture.verifyFailure())
        #expect(failure.rule == .storedState, "\(failure)")
        #expect(failure.description.contains("the database is damaged"), "\(failure)")
        #expect(failure.description.contains("unexpected type or is missing"), "\(failure)")
    }

    /// Any single changed byte of any record is caught.
    @Test(arguments: StoreKind.allCases)
    func anyChangedRecordByteIsCaught(_ kind: StoreKind) throws {
        let fixture = try ledgerWithEntries(kind)
        let records = try fixture.records()
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<6 {
            let seq = Int64.random(in: 1...Int64(records.count), using: &generator)
            var record = records[Int(seq - 1)]
            let position = Int.random(in: 0..<record.count, using: &generator)
            record[position] = record[position] &+ UInt8.random(in: 1...255, using: &generator)
            let changed = record
            try fixture.tamper(
                sql: "UPDATE entries SET record = X'\(Hex.encode(changed))' WHERE seq = \(seq)",
                postgres: "UPDATE entries SET record = decode('\(Hex.encode(changed))', 'hex') WHERE seq = \(seq)",
                memory: { $0.modifyEntry(seq: seq) { $0.record = changed } })
            let failure = try #require(try fixture.verifyFailure(), "byte \(position) of seq \(seq)")
            #expect(failure.seq == seq, "\(failure)")
            let original = records[Int(seq - 1)]
            try fixture.tamper(
                sql: "UPDATE entries SET record = CAST(X'\(Hex.encode(original))' AS TEXT) WHERE seq = \(seq)",
                postgres: "UPDATE entries SET record = decode('\(Hex.encode(original))', 'hex') WHERE seq = \(seq)",
                memory: { $0.modifyEntry(seq: seq) { $0.record = original } })
            #expect(try fixture.verifyFailure() == nil, "restored")
        }
    }
}
