import CustodyDomain
import Foundation
import GRDB
import LedgerApp
import LedgerCore
import LedgerCrypto
import LedgerStores
import LedgerTestSupport
import Testing

/// Every store the conformance suite holds to the `LedgerStore` contract.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    /// The SQLite store, through the provider the command line uses, in a temporary folder.
    case sqlite
    /// The in-memory double of LedgerTestSupport.
    case inMemory
    /// The PostgreSQL store on the test server (`$LEDGER_TEST_POSTGRES_URL`), each ledger in a database of its own,
    /// created by its owner and appended to as the runtime role.
    case postgres

    /// Every kind this run can test: PostgreSQL when a test server is given (under `CI=true`, always).
    static var allCases: [StoreKind] {
        PostgresTestServer.isAvailable ? [.sqlite, .inMemory, .postgres] : [.sqlite, .inMemory]
    }

    var testDescription: String { rawValue }

    /// A new provider: a fresh set of in-memory ledgers, the file-backed stores, or test databases.
    func stores() -> any LedgerStoreProvider {
        switch self {
        case .sqlite: StandardStores()
        case .inMemory: InMemoryStores()
        case .postgres: PostgresTestStores()
        }
    }

    /// A ledger made as `ledger init --format 1` makes it, in this kind of store.
    ///
    /// Format 1: the suite inserts hand-built version-1 entries, and checkpoints only where it says.
    func fixture() throws -> LedgerFixture { try LedgerFixture(stores: stores(), format: 1) }

    /// A ledger made as `ledger init` makes it (format version 2), in this kind of store.
    func statementFixture() throws -> LedgerFixture { try LedgerFixture(stores: stores()) }

    /// The custody fixture (the cast registered, CASE-1 opened) in this kind of store.
    func custodyFixture(openCase: Bool = true) throws -> CustodyFixture {
        try CustodyFixture(openCase: openCase, stores: stores())
    }
}

/// A ledger created through a provider with nothing in it but its origin, for tests that drive transactions raw.
struct EmptyLedger {
    let directory = TemporaryDirectory()
    let location: String
    let stores: any LedgerStoreProvider
    let store: any LedgerStore

    init(_ kind: StoreKind, schema: ProjectionSchema = .custody, origin: String = "ledger.test.example/unit") throws {
        location = directory.path("raw.ledger")
        stores = kind.stores()
        try stores.create(location, schema: schema) { try $0.setMeta("origin", origin) }
        store = try stores.open(location, schema: schema, readOnly: false)
    }
}

/// The RFC 9162 §2.1.1 Merkle tree hash, computed from the definition (not from stored hashes or an accumulator).
func referenceRoot(_ leaves: ArraySlice<[UInt8]>) -> [UInt8] {
    guard leaves.count > 1 else { return leaves.first ?? Merkle.emptyRoot }
    var split = 1
    while split * 2 < leaves.count { split *= 2 }
    let middle = leaves.startIndex + split
    return Merkle.nodeHash(referenceRoot(leaves[..<middle]), referenceRoot(leaves[middle...]))
}

/// Inserts built entries raw, as the appender does: leaf hash and completed nodes from the stored tree.
func insertRaw(_ entries: some Sequence<Entry>, in transaction: any LedgerWriteTransaction) throws {
    var accumulator = try transaction.accumulator(size: try transaction.entryCount())
    for entry in entries {
        let leafHash = Merkle.leafHash(entry.record)
        try transaction.insert(entry, leafHash: leafHash, nodes: accumulator.append(leafHash: leafHash))
    }
}

/// The next `ledger.note` by `signer` on the stream `ledger`, chained onto what `reader` holds; `change` may alter
/// the body before it is signed.
func nextNote(
    _ text: String, in reader: any LedgerReader, signer: Ed25519PrivateKey, change: (inout EntryBody) -> Void = { _ in }
) throws -> Entry {
    let head = try #require(try reader.head())
    let stream = try reader.streamHead("ledger")
    var body = EntryBody(
        ledger: try #require(try reader.meta("origin")), seq: head.seq + 1, prev: head.bodyHash, stream: "ledger",
        streamRev: (stream?.rev ?? 0) + 1, streamPrev: stream?.link ?? EntryBody.zeroHash,
        id: SecureRandom.uuidV4(),
        time: max(head.time, SystemClock().now()), type: EventTypes.ledgerNote, actor: LedgerFixture.keyID(signer),
        data: ["text": .string(text)])
    change(&body)
    let unsigned = Entry(body: body, sigs: [])
    return unsigned.withSignatures([
        EntrySignature(key: body.actor, signature: signer.sign(SigningMessage.entry(bodyHash: unsigned.bodyHash)))
    ])
}

/// A note drafted for the appender, on the stream `ledger`.
func note(_ text: String, id: String? = nil, signer: Ed25519PrivateKey) -> EventDraft {
    EventDraft(id: id, type: EventTypes.ledgerNote, stream: "ledger", data: ["text": .string(text)], signer: signer)
}

/// Everything a read can see of a ledger, for comparing the state before and after a write.
struct VisibleState: Equatable {
    var count: Int64
    var head: String?
    var records: [[UInt8]]
    var keys: [String]
    var checkpoints: [String]
    var timestamps: [[UInt8]]
    var projections: [ProjectionRow]
    var projectionSeq: Int64
    var origin: String?

    init(_ store: any LedgerStore) throws {
        (count, head, records, keys, checkpoints, timestamps, projections, projectionSeq, origin) = try store.read {
            reader in
            var records: [[UInt8]] = []
            try reader.forEachRecord(RecordFilter()) {
                records.append($0.record + $0.leafHash + $0.nodes)
                return true
            }
            return (
                try reader.entryCount(), try reader.head()?.bodyHash, records,
                try reader.allKeys().map { "\($0.keyID) \($0.roles) \($0.revokedSeq ?? 0)" },
                try reader.checkpointNotes().map(\.note), try reader.timestampResponses().map(\.response),
                try projectionRows(of: reader), try reader.projectionSeq(), try reader.meta("origin")
            )
        }
    }
}

/// Expects `body` to throw a `StoreError` with `code`.
func expectStoreError(
    _ code: StoreError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) {
    do {
        try body()
        Issue.record("expected a StoreError \(code)", sourceLocation: sourceLocation)
    } catch let error as StoreError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected a StoreError \(code), got \(error)", sourceLocation: sourceLocation)
    }
}

extension LedgerFixture {
    /// Changes the stored ledger behind the store's back: SQL through a connection of its own for SQLite (with the
    /// append-only triggers dropped first, as someone with `sqlite3` could), the tamper hook for the in-memory store.
    func tamper(sql: String, postgres: String? = nil, memory: (inout InMemoryLedgerState) -> Void) throws {
        if let memoryStore = store as? InMemoryLedgerStore {
            memoryStore.tamper(memory)
            return
        }
        if let postgresStores = stores as? PostgresTestStores {
            try postgresStores.tamper(path, sql: postgres ?? sql)
            return
        }
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(
                sql: """
                    DROP TRIGGER IF EXISTS entries_append_only_update; DROP TRIGGER IF EXISTS entries_append_only_delete;
                    DROP TRIGGER IF EXISTS checkpoints_append_only_update
                    """)
            try db.execute(sql: sql)
        }
        try queue.close()
    }

    /// The first failure `ledger verify` reports on the ledger, opened again as a new process would.
    func verifyFailure(_ options: VerifyOptions = VerifyOptions()) throws -> VerificationFailure? {
        try VerifyRunner.verify(store: try reopen(), options: options, source: path).failure
    }
}

extension String {
    /// The UTF-8 bytes of the string with `target` replaced (tamper helpers edit records and states as text).
    func replacingBytes(_ target: String, with replacement: String) -> [UInt8] {
        Array(replacingOccurrences(of: target, with: replacement).utf8)
    }
}

/// The time the suite's checkpoints, cosignatures and time stamps are stored at.
let storedAt = FixedClock(millisecondsSince1970: 1_764_806_400_000).now()
