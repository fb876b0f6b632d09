import CustodyDomain
import Foundation
import LedgerApp
import LedgerCore
import LedgerCrypto
import LedgerTestSupport
import Testing

/// Projection tables as a schema describes them: rows, filters, key order, unique indexes, the built-to seq,
/// clearing and the bulk load; and a rebuild that reproduces what appends wrote.
struct ProjectionConformanceTests {
    static let widgets = ProjectionTable(
        name: "widgets", columns: ["owner", "size", "code"],
        indexes: [
            ProjectionIndex("widgets_by_owner", on: ["owner", "size"]),
            ProjectionIndex("widgets_by_code", on: ["code"], unique: true),
        ])
    static let gadgets = ProjectionTable(name: "gadgets", columns: ["owner"])
    static let schema = ProjectionSchema(tables: [widgets, gadgets])

    private func widget(_ key: String, owner: String, size: Int64 = 1, code: String? = nil, state: String = "{}")
        -> ProjectionRow
    {
        ProjectionRow(
            table: Self.widgets, key: key, columns: [.string(owner), .integer(size), .string(code ?? "code-" + key)],
            state: state)
    }

    private func rows(_ store: any LedgerStore, _ table: ProjectionTable = widgets) throws -> [ProjectionRow] {
        try store.read { try projectionRows(of: $0, [table]) }
    }

    /// The batch reads a fold makes for a whole group answer as the one-at-a-time reads do, in the order asked, with
    /// repeats, unknown keys, canonically equivalent keys kept apart, and more keys than one request of a store
    /// carries.
    @Test(arguments: StoreKind.allCases)
    func batchReadsAnswerAsTheSingleReads(_ kind: StoreKind) throws {
        let ledger = try EmptyLedger(kind, schema: Self.schema)
        let written = ["b", "a", "Z", "\u{00E9}", "e\u{0301}", "aa"].enumerated().map { index, key in
            widget(key, owner: index % 2 == 0 ? "ada" : "bob", size: Int64(index), state: "{\"n\":\(index)}")
        }
        try ledger.store.write { try $0.writeProjectionRows(written, builtTo: 1) }
        let keys = ["e\u{0301}", "missing", "a", "\u{00E9}", "a", "Z"] + (0..<5000).map { "k\($0)" } + ["b"]
        let values = [["ada", "code-Z"], ["bob", "code-a"], ["bob", "code-Z"], ["nobody", "x"], ["ada", "code-Z"]]
        try ledger.store.read { reader in
            let states = try reader.projectionStates(Self.widgets, keys: keys)
            #expect(states.count == keys.count)
            for (key, state) in zip(keys, states) {
                #expect(state == (try reader.projectionState(Self.widgets, key: key)))
            }
            #expect(Array(states.prefix(6)) == ["{\"n\":4}", nil, "{\"n\":1}", "{\"n\":3}", "{\"n\":1}", "{\"n\":2}"])
            #expect(states.last == "{\"n\":0}")
            let owners = try reader.firstProjectionKeys(Self.widgets, columns: ["owner", "code"], values: values)
            #expect(owners == ["Z", "a", nil, nil, "Z"])
            for (row, owner) in zip(values, owners) {
                #expect(
                    owner
                        == (try reader.firstProjectionKey(Self.widgets, where: [("owner", row[0]), ("code", row[1])])))
            }
            #expect(try reader.projectionStates(Self.widgets, keys: []).isEmpty)
            #expect(try reader.firstProjectionKeys(Self.widgets, columns: ["owner"], values: []).isEmpty)
            expectStoreError(.invalidRequest) {
                _ = try reader.firstProjectionKeys(Self.widgets, columns: ["colour"], values: [["red"]])
            }
            expectStoreError(.invalidRequest) {
                _ = try reader.firstProjectionKeys(Self.widgets, columns: ["owner", "code"], values: [["ada"]])
            }
            expectStoreError(.invalidRequest) {
                _ = try reader.projectionStates(ProjectionTable(name: "unknown", columns: []), keys: ["a"])
            }
        }
    }

    @Test(arguments: StoreKind.allCases)
    func rowsAreFilteredAndComeInTheByteOrderOfTheirKeys(_ kind: StoreKind) throws {
        let ledger = try EmptyLedger(kind, schema: Self.schema)
        // Canonically equivalent keys are different keys: "é" precomposed and "e" with a combining accent.
        let keys = ["b", "a", "Z", "\u{00E9}", "e\u{0301}", "aa", "a b"]
        let written = keys.enumerated().map { index, key in
            widget(key, owner: index % 2 == 0 ? "ada" : "bob", size: Int64(index), state: "{\"n\":\(index)}")
        }
        try ledger.store.write { transaction in
            try transaction.writeProjectionRows(written, builtTo: 3)
            #expect(try transaction.projectionState(Self.widgets, key: "b") == "{\"n\":0}", "its own writes")
        }
        let all = try rows(ledger.store)
        #expect(
            all.map(\.key).map { Array($0.utf8) }
                == ["Z", "a", "a b", "aa", "b", "e\u{0301}", "\u{00E9}"].map { Array($0.utf8) })
        #expect(all == written.sorted { $0.key.precedesInBytes($1.key) })
        try ledger.store.read { reader in
            #expect(try reader.projectionState(Self.widgets, key: "\u{00E9}") == "{\"n\":3}")
            #expect(try reader.projectionState(Self.widgets, key: "e\u{0301}") == "{\"n\":4}")
            #expect(try reader.projectionState(Self.widgets, key: "missing") == nil)
            var ada: [String] = []
            try reader.forEachProjectionRow(Self.widgets, where: [("owner", "ada")]) {
                ada.append($0.key)
                return true
            }
            #expect(ada.map { Array($0.utf8) } == ["Z", "a b", "b", "e\u{0301}"].map { Array($0.utf8) })
            var byCode: [String] = []
            try reader.forEachProjectionRow(Self.widgets, where: [("owner", "bob"), ("code", "code-aa")]) {
                byCode.append($0.key)
                return true
            }
            #expect(byCode == ["aa"])
            var visited = 0
            try reader.forEachProjectionRow(Self.widgets, where: []) { _ in
                visited += 1
                return visited < 3
            }
            #expect(visited == 3, "stops when the visitor returns false")
            #expect(try reader.firstProjectionKey(Self.widgets, where: [("owner", "bob")]) == "a")
            #expect(try reader.firstProjectionKey(Self.widgets, where: [("owner", "ada")]) == "Z")
            #expect(try reader.firstProjectionKey(Self.widgets, where: [("owner", "nobody")]) == nil)
            #expect(try reader.firstProjectionKey(Self.gadgets, where: []) == nil)
            // Only the schema's tables and columns can be asked for.
            expectStoreError(.invalidRequest) {
                _ = try reader.firstProjectionKey(Self.widgets, where: [("colour", "red")])
            }
            expectStoreError(.invalidRequest) {
                try reader.forEachProjectionRow(Self.widgets, where: [("state", "{}")]) { _ in true }
            }
            expectStoreError(.invalidRequest) {
                _ = try reader.firstProjectionKey(ProjectionTable(name: "unknown", columns: []), where: [])
            }
        }
        // A row with the key of a stored row replaces it.
        try ledger.store.write {
            try $0.writeProjectionRows([widget("b", owner: "carol", size: 9, state: "{\"n\":9}")], builtTo: 4)
        }
        let replaced = try rows(ledger.store)
        #expect(replaced.count == keys.count)
        #expect(replaced.first { $0.key == "b" } == widget("b", owner: "carol", size: 9, state: "{\"n\":9}"))
        // Filter columns must have values.
        expectStoreError(.engine) {
            try ledger.store.write {
                try $0.writeProjectionRows(
                    [ProjectionRow(table: Self.widgets, key: "n", columns: [.null, .integer(1), "c"], state: "{}")],
                    builtTo: 5)
            }
        }
        #expect(try ledger.store.read { try $0.projectionSeq() } == 4)
    }

    /// A unique index never holds two rows with the same values: a row written over another one's values replaces
    /// that row (SQLite's `INSERT OR REPLACE`), and a bulk load with duplicates is refused whole.
    @Test(arguments: StoreKind.allCases)
    func aUniqueIndexKeepsOneRowPerValue(_ kind: StoreKind) throws {
        let ledger = try EmptyLedger(kind, schema: Self.schema)
        try ledger.store.write {
            try $0.writeProjectionRows(
                [
                    widget("w1", owner: "ada", code: "C-1"), widget("w2", owner: "ada", code: "C-2"),
                    widget("w3", owner: "ada", code: "C-3"),
                ], builtTo: 1)
        }
        // A row taking another key's unique values is refused, and the other row stays.
        #expect(throws: StoreError.self) {
            try ledger.store.write { try $0.writeProjectionRows([widget("w4", owner: "bob", code: "C-1")], builtTo: 2) }
        }
        #expect(try rows(ledger.store).map(\.key) == ["w1", "w2", "w3"])
        // The same key may change its unique values; a non-unique index allows any number of rows with equal values.
        try ledger.store.write { try $0.writeProjectionRows([widget("w1", owner: "bob", code: "C-4")], builtTo: 2) }
        #expect(try rows(ledger.store).map(\.key) == ["w1", "w2", "w3"])
        #expect(try rows(ledger.store).filter { $0.columns.first == .string("ada") }.count == 2)
        let before = try rows(ledger.store)
        #expect(throws: StoreError.self) {
            try ledger.store.write { transaction in
                try transaction.replaceAllProjections(builtTo: 3) { write in
                    try write([widget("x1", owner: "ada", code: "C-9"), widget("x2", owner: "bob", code: "C-9")])
                }
            }
        }
        #expect(try rows(ledger.store) == before)
        #expect(try ledger.store.read { try $0.projectionSeq() } == 2)
    }

    @Test(arguments: StoreKind.allCases)
    func theBuiltToSeqClearingAndTheBulkLoad(_ kind: StoreKind) throws {
        let ledger = try EmptyLedger(kind, schema: Self.schema)
        func built() throws -> Int64 { try ledger.store.read { try $0.projectionSeq() } }
        #expect(try built() == 0, "never built")
        try ledger.store.write { try $0.writeProjectionRows([], builtTo: 4) }
        #expect(try built() == 4)
        let gadget = ProjectionRow(table: Self.gadgets, key: "g1", columns: ["ada"], state: "{}")
        try ledger.store.write { try $0.writeProjectionRows([widget("w1", owner: "ada"), gadget], builtTo: 7) }
        #expect(try built() == 7)
        #expect(try rows(ledger.store, Self.gadgets) == [gadget])
        try ledger.store.write { try $0.clearProjections() }
        #expect(try rows(ledger.store).isEmpty && rows(ledger.store, Self.gadgets).isEmpty)
        #expect(try built() == 0, "cleared projections are not built to any seq")

        try ledger.store.write { try $0.writeProjectionRows([widget("old", owner: "ada")], builtTo: 8) }
        let loaded = (0..<30).map { widget(String(format: "k%02d", $0), owner: $0 % 3 == 0 ? "ada" : "bob") }
        try ledger.store.write { transaction in
            try transaction.replaceAllProjections(builtTo: 9) { write in
                try write(Array(loaded[0..<10]))
                try write(Array(loaded[10...]))
                try write([gadget])
            }
        }
        #expect(try rows(ledger.store) == loaded, "the old rows are gone")
        #expect(try rows(ledger.store, Self.gadgets) == [gadget])
        #expect(try built() == 9)
        #expect(
            try ledger.store.read { try $0.firstProjectionKey(Self.widgets, where: [("owner", "bob")]) } == "k01",
            "the indexes serve lookups after a bulk load")
        // A bulk load whose producer throws changes nothing.
        struct Abort: Error {}
        #expect(throws: Abort.self) {
            try ledger.store.write { transaction in
                try transaction.replaceAllProjections(builtTo: 10) { write in
                    try write([widget("partial", owner: "ada")])
                    throw Abort()
                }
            }
        }
        #expect(try rows(ledger.store) == loaded)
        #expect(try built() == 9)
    }

    /// The property `ledger rebuild` relies on: replaying the log gives exactly the rows the appends wrote.
    @Test(arguments: StoreKind.allCases)
    func aRebuildReproducesTheLiveProjections(_ kind: StoreKind) throws {
        let fixture = try kind.custodyFixture()
        let store = fixture.ledger.store
        try fixture.seize("EV-1")
        try fixture.seize("EV-2", seal: "S-2")
        try fixture.record(
            CustodyEvents.custodyReleased, "item/EV-1", ["to": "bob", "purpose": "storage", "seal": "S-1"], by: "carol")
        try fixture.record(
            CustodyEvents.custodyReceived, "item/EV-1", ["seal": "S-1", "seal_intact": true, "location": "Lab"],
            by: "bob")
        for (index, value) in ["192.0.2.1", "192.0.2.2", "192.0.2.3"].enumerated() {
            try fixture.record(
                CustodyEvents.targetIdentified, "target/T-\(index)",
                [
                    "case": "CASE-1", "kind": "ip", "value": .string(value), "category": "phishing", "country": "NL",
                    "source": "feed",
                ], by: "tina")
        }
        try fixture.record(
            CustodyEvents.takedownConfirmed, "target/T-0",
            ["method": "suspended", "occurred_at": "2024-06-01T10:00:00Z"], by: "tina")
        let live = try store.read { try projectionRows(of: $0) }
        for table in ProjectionTable.all {
            #expect(live.contains { $0.table == table }, "the fixture fills \(table)")
        }
        let count = try fixture.count()
        let report = try ProjectionRebuilder.rebuild(store: store)
        #expect(report.entries == count)
        #expect(report.rows == live.count)
        #expect(report.skipped == 0)
        #expect(try store.read { try projectionRows(of: $0) } == live)
        #expect(try store.read { try $0.projectionSeq() } == count)
        let verified = try VerifyRunner.verify(store: store, options: VerifyOptions(), source: fixture.ledger.path)
        #expect(verified.failure == nil, "\(String(describing: verified.failure))")
        #expect(verified.projectionRowsChecked == live.count)

        // Cleared projections are a verification failure until the next rebuild.
        try store.write { try $0.clearProjections() }
        let cleared = try #require(try fixture.ledger.verifyFailure())
        #expect(cleared.rule == .projections)
        _ = try ProjectionRebuilder.rebuild(store: store)
        #expect(try store.read { try projectionRows(of: $0) } == live)
        // The custody fold reads what the rebuild wrote: appends go on deciding on it.
        try fixture.record(
            CustodyEvents.custodyReleased, "item/EV-1", ["to": "dan", "purpose": "lab", "seal": "S-1"], by: "bob")
        #expect(try fixture.item("EV-1")?.status == ItemStatus.inTransit)
        #expect(try fixture.ledger.verifyFailure() == nil)
    }
}
