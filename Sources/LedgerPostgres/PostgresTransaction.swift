import LedgerCore
import LedgerCrypto
import NIOCore
import PostgresNIO

/// One transaction's view of the ledger, on one connection, used by one thread.
///
/// Appended entries are sent in groups (one multi-row insert per group, not one round trip per entry). Until a
/// group is sent, the reads an appender makes while it places entries (the head, a stream's head, a subtree hash,
/// an id) are answered from the entries waiting; any other read sends the group first.
final class PostgresTransaction: LedgerWriteTransaction {
    let session: PostgresSession
    let schema: ProjectionSchema

    private var pending: [(entry: Entry, leafHash: [UInt8], nodes: [UInt8])] = []
    // By the UTF-8 bytes: Swift's String equality would take canonically equivalent ids for one.
    private var pendingByID: [[UInt8]: Int] = [:]
    private var pendingStreamHead: [[UInt8]: Int] = [:]
    /// The seq of the newest committed entry, once read.
    private var committedSeq: Int64?
    private var cursors = 0

    /// Entries are sent once this many wait.
    private static let group = 512
    /// Rows fetched from a cursor per round trip.
    ///
    /// Small on purpose: postgres-nio hands a result's rows over as slices of its receive buffer, which it copies
    /// (at its full capacity) each time it discards read bytes while rows are alive, so one result can hold many
    /// buffer-sized copies. At 2,048 rows a verify held up to ~100 MiB more than on SQLite (heaptrack); at 512 the
    /// copies stay small, and the verify measured no slower.
    private static let fetchSize = 512
    /// From how many entries a read goes through a cursor rather than one result.
    private static let cursorThreshold: Int64 = 2048

    init(session: PostgresSession, schema: ProjectionSchema) {
        self.session = session
        self.schema = schema
    }

    // MARK: Sending

    @discardableResult
    private func run(_ sql: String, _ binds: PostgresBindings = PostgresBindings()) throws -> PostgresQueryResult {
        try flush()
        return try session.run(sql, binds)
    }

    /// Sends the entries waiting, in seq order, as one statement.
    func flush() throws {
        guard !pending.isEmpty else { return }
        var seqs: [Int64] = []
        var ids: [String] = []
        var streams: [String] = []
        var revs: [Int64] = []
        var types: [String] = []
        var actors: [String] = []
        var times: [String] = []
        var bodyHashes: [ByteBuffer] = []
        var leafHashes: [ByteBuffer] = []
        var nodes: [ByteBuffer] = []
        var records: [ByteBuffer] = []
        for item in pending {
            let body = item.entry.body
            seqs.append(body.seq)
            ids.append(body.id)
            streams.append(body.stream)
            revs.append(body.streamRev)
            types.append(body.type)
            actors.append(body.actor)
            times.append(body.time)
            bodyHashes.append(ByteBuffer(bytes: item.entry.bodyHash))
            leafHashes.append(ByteBuffer(bytes: item.leafHash))
            nodes.append(ByteBuffer(bytes: item.nodes))
            records.append(ByteBuffer(bytes: item.entry.record))
        }
        var binds = PostgresBindings(capacity: 11)
        binds.append(seqs)
        binds.append(ids)
        binds.append(streams)
        binds.append(revs)
        binds.append(types)
        binds.append(actors)
        binds.append(times)
        binds.append(bodyHashes)
        binds.append(leafHashes)
        binds.append(nodes)
        binds.append(records)
        committedSeq = pending.last?.entry.body.seq
        pending.removeAll(keepingCapacity: true)
        pendingByID.removeAll(keepingCapacity: true)
        pendingStreamHead.removeAll(keepingCapacity: true)
        try session.run(
            """
            INSERT INTO ledger.entries (seq, id, stream, stream_rev, type, actor, time, body_hash, leaf_hash, nodes, record)
            SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[],
                $7::text[], $8::bytea[], $9::bytea[], $10::bytea[], $11::bytea[]) ORDER BY 1
            """, binds)
    }

    /// Calls `visit` with each row of `sql` (which must order its rows), through a cursor when `cursor` is true.
    ///
    /// A cursor hands the rows over in groups, and the next group is asked for while `visit` works on this one.
    /// Stops early when `visit` returns false.
    private func forEachRow(
        _ sql: String, _ binds: PostgresBindings, cursor: Bool, _ visit: (PostgresRow) throws -> Bool
    ) throws {
        try flush()
        guard cursor else {
            for row in try session.run(sql, binds) where try !visit(row) { return }
            return
        }
        cursors += 1
        let name = "ledger_scan_\(cursors)"
        try session.run("DECLARE \(name) NO SCROLL CURSOR FOR \(sql)", binds)
        let fetch = "FETCH FORWARD \(Self.fetchSize) FROM \(name)"
        var next: EventLoopFuture<PostgresQueryResult>? = session.start(fetch)
        defer {
            if let next { _ = try? session.wait(next) }
            _ = try? session.run("CLOSE \(name)")
        }
        while let current = next {
            let rows = try session.wait(current)
            next = rows.count == Self.fetchSize ? session.start(fetch) : nil
            for row in rows where try !visit(row) { return }
        }
    }

    // MARK: LedgerReader

    func entryCount() throws -> Int64 {
        if let last = pending.last { return last.entry.body.seq }
        return try session.run("SELECT COALESCE(MAX(seq), 0) FROM ledger.entries").first?.decode(Int64.self) ?? 0
    }

    func meta(_ name: String) throws -> String? {
        var binds = PostgresBindings()
        binds.append(name)
        return try run("SELECT value FROM ledger.meta WHERE name = $1", binds).first?.decode(String.self)
    }

    func forEachRecord(_ filter: RecordFilter, _ visit: (StoredRecord) throws -> Bool) throws {
        var sql =
            filter.withStoredState
            ? "SELECT seq, record, leaf_hash, nodes, id, stream, stream_rev, type, actor, time, body_hash"
            : "SELECT seq, record"
        // One stream from the start of the log (a key's, an item's, a case's): its (stream, stream_rev) index is the
        // way in, in order, and the seq range only trims its end. Written `seq + 0`, the range cannot be answered
        // from the primary key, which the planner otherwise joins in on statistics older than the last bulk of
        // appends (a bitmap of every seq in the range: 60 ms per stream at 500,000 entries). The rows are the same.
        let seq = filter.stream != nil && filter.from <= 1 ? "seq + 0" : "seq"
        sql += " FROM ledger.entries WHERE \(seq) >= $1"
        var binds = PostgresBindings()
        binds.append(filter.from)
        if let to = filter.to {
            binds.append(to)
            sql += " AND \(seq) <= $\(binds.count)"
        }
        if let stream = filter.stream {
            binds.append(stream)
            sql += " AND stream = $\(binds.count)"
        }
        if let literal = filter.typeLiteral {
            sql += " AND type = \(literal)"
        } else if let type = filter.type {
            binds.append(type)
            sql += " AND type = $\(binds.count)"
        }
        // A stream's revisions rise with its seqs (FORMAT.md §7 rule 5, the stream chain, which `ledger verify`
        // checks), so within one stream the order of the (stream, stream_rev) index is seq order, without a sort.
        sql += filter.stream == nil ? " ORDER BY seq" : " ORDER BY stream_rev"
        let span = filter.to.map { $0.subtractingReportingOverflow(filter.from) }
        let small = span.map { !$0.overflow && $0.partialValue < Self.cursorThreshold } ?? false
        var actor = ""
        try forEachRow(sql, binds, cursor: !small) { row in
            let stored: StoredRecord
            var cells = ScanCells(row)
            if filter.withStoredState {
                let seq = try cells.int64()
                let record = try cells.bytes()
                let leafHash = try cells.bytes()
                let nodes = try cells.bytes()
                let (id, stream, streamRev) = (try cells.text(), try cells.text(), try cells.int64())
                let (type, rowActor, time, bodyHash) = (
                    try cells.text(), try cells.text(), try cells.text(), try cells.bytes()
                )
                // The actor is the same in long runs: one string shared.
                if !rowActor.hasSameBytes(as: actor) { actor = rowActor }
                stored = StoredRecord(
                    seq: seq, record: record, leafHash: leafHash, nodes: nodes,
                    columns: StoredColumns(
                        seq: seq, id: id, stream: stream, streamRev: streamRev, type: type, actor: actor, time: time,
                        bodyHash: Hex.encode(bodyHash)))
            } else {
                let seq = try cells.int64()
                stored = StoredRecord(seq: seq, record: try cells.bytes(), leafHash: [], nodes: [])
            }
            return try visit(stored)
        }
    }

    func subtreeHash(seq: Int64, level: Int) throws -> [UInt8] {
        try subtreeHashes([(seq, level)])[0]
    }

    /// Entries waiting to be sent answer from the queue; the others in one statement.
    func subtreeHashes(_ locations: [(seq: Int64, level: Int)]) throws -> [[UInt8]] {
        var stored: [Int64: (leafHash: [UInt8], nodes: [UInt8])] = [:]
        var asked: [Int64] = []
        for (seq, _) in locations where stored[seq] == nil {
            if let first = pending.first?.entry.body.seq, seq >= first, seq - first < pending.count {
                stored[seq] = (pending[Int(seq - first)].leafHash, pending[Int(seq - first)].nodes)
            } else if !asked.contains(seq) {
                asked.append(seq)
            }
        }
        if !asked.isEmpty {
            var binds = PostgresBindings()
            binds.append(asked)
            for row in try session.run(
                "SELECT seq, leaf_hash, nodes FROM ledger.entries WHERE seq = ANY($1::bigint[])", binds)
            {
                let (seq, leaf, nodes) = try decode(row, (Int64, ByteBuffer, ByteBuffer).self)
                stored[seq] = (Array(leaf.readableBytesView), Array(nodes.readableBytesView))
            }
        }
        return try locations.map { seq, level in
            guard let (leafHash, nodes) = stored[seq] else {
                throw StoreError(.damaged, "entry \(seq) is missing from the database")
            }
            if level == 0 { return leafHash }
            guard nodes.count >= level * 32 else {
                throw StoreError(.damaged, "the stored Merkle nodes of entry \(seq) are incomplete")
            }
            return Array(nodes[((level - 1) * 32)..<(level * 32)])
        }
    }

    func checkpointNotes() throws -> [(size: Int64, note: String)] {
        var notes: [(size: Int64, note: String)] = []
        for row in try run("SELECT size, note FROM ledger.checkpoints ORDER BY size") {
            let (size, note) = try decode(row, (Int64, String).self)
            notes.append((size, note))
        }
        var lines: [Int64: String] = [:]
        for row in try session.run("SELECT size, line FROM ledger.cosignatures ORDER BY n") {
            let (size, line) = try decode(row, (Int64, String).self)
            lines[size, default: ""] += line
        }
        return notes.map { ($0.size, $0.note + (lines[$0.size] ?? "")) }
    }

    func checkpointNote(_ choice: CheckpointChoice) throws -> (size: Int64, note: String)? {
        var binds = PostgresBindings()
        let sql: String
        switch choice {
        case .newest: sql = "SELECT size, note FROM ledger.checkpoints ORDER BY size DESC LIMIT 1"
        case .size(let size):
            binds.append(size)
            sql = "SELECT size, note FROM ledger.checkpoints WHERE size = $1"
        case .smallestCovering(let seq):
            binds.append(seq)
            sql = "SELECT size, note FROM ledger.checkpoints WHERE size >= $1 ORDER BY size LIMIT 1"
        }
        guard let row = try run(sql, binds).first else { return nil }
        let (size, note) = try decode(row, (Int64, String).self)
        var lines = PostgresBindings()
        lines.append(size)
        var full = note
        for line in try session.run("SELECT line FROM ledger.cosignatures WHERE size = $1 ORDER BY n", lines) {
            full += try decode(line, String.self)
        }
        return (size, full)
    }

    func timestampResponses() throws -> [(size: Int64, response: [UInt8])] {
        try run("SELECT size, response FROM ledger.timestamps ORDER BY size, n").map { row in
            let (size, response) = try decode(row, (Int64, ByteBuffer).self)
            return (size, Array(response.readableBytesView))
        }
    }

    func allKeys() throws -> [KeyState] {
        try run("SELECT \(Self.keyColumns) FROM ledger.keys ORDER BY registered_seq").map(keyState)
    }

    func key(_ keyID: String) throws -> KeyState? {
        var binds = PostgresBindings()
        binds.append(keyID)
        return try run("SELECT \(Self.keyColumns) FROM ledger.keys WHERE key_id = $1", binds).first.map(keyState)
    }

    func activeAdminCount() throws -> Int {
        try allKeys().filter { $0.revokedSeq == nil && $0.hasRole(Roles.admin) }.count
    }

    private static let keyColumns =
        "key_id, public_key, name, person, agency, roles, registered_seq, revoked_seq, compromised_since_seq"

    private func keyState(_ row: PostgresRow) throws -> KeyState {
        let (keyID, raw, name, person, agency, roles, registered, revoked, compromised) = try decode(
            row, (String, ByteBuffer, String, String, String, String, Int64, Int64?, Int64?).self)
        let publicKey: Ed25519PublicKey
        do { publicKey = try Ed25519PublicKey(raw: Array(raw.readableBytesView)) } catch {
            throw StoreError(.damaged, "the keys table holds an invalid public key: \(error)")
        }
        return KeyState(
            keyID: keyID, publicKey: publicKey, name: name, person: person, agency: agency,
            roles: roles.split(separator: " ").map(String.init), registeredSeq: registered, revokedSeq: revoked,
            compromisedSinceSeq: compromised)
    }

    /// The newest entry of `stream`, from its record (checked against the stored columns); entries waiting to be
    /// sent come first, being newer.
    func streamHead(_ stream: String) throws -> StreamHead? {
        try streamHeads([stream])[0]
    }

    /// Each stream's newest entry: those waiting to be sent from the queue, the others in one statement per
    /// ``batchKeys`` streams (the index on (stream, stream_rev) answers each).
    func streamHeads(_ streams: [String]) throws -> [StreamHead?] {
        var heads = [StreamHead?](repeating: nil, count: streams.count)
        var asked: [Int] = []
        for (index, stream) in streams.enumerated() {
            if let waiting = pendingStreamHead[Array(stream.utf8)] {
                let entry = pending[waiting].entry
                heads[index] = StreamHead(rev: entry.body.streamRev, link: entry.streamLinkHex, time: entry.body.time)
            } else {
                asked.append(index)
            }
        }
        try forEachBatch(asked.map { streams[$0] }) { offset, row in
            let (ordinal, seq, record, streamRev, bodyHash) = try decode(
                row, (Int64, Int64, ByteBuffer, Int64, ByteBuffer).self)
            guard let facts = Entry.canonicalBodyFacts(Array(record.readableBytesView)), facts.streamRev == streamRev,
                facts.bodyHash == Array(bodyHash.readableBytesView)
            else {
                throw StoreError(
                    .damaged, "the stored record or columns of seq \(seq) are damaged; run `ledger verify`")
            }
            heads[asked[offset + Int(ordinal) - 1]] = StreamHead(
                rev: facts.streamRev, link: Hex.encode(facts.link), time: facts.time)
        } sql: {
            """
            SELECT k.i, e.seq, e.record, e.stream_rev, e.body_hash FROM unnest($1::text[]) WITH ORDINALITY AS k(stream, i)
            CROSS JOIN LATERAL (SELECT seq, record, stream_rev, body_hash FROM ledger.entries WHERE stream = k.stream
                ORDER BY stream_rev DESC LIMIT 1) AS e
            """
        }
        return heads
    }

    /// Keys sent in one statement by the batch reads.
    private static let batchKeys = 4096

    /// Sends `keys` in groups of ``batchKeys`` as the text array `$1` of `sql`, one statement per group.
    ///
    /// The rows of `sql` start with the 1-based ordinal of their key in the group; `visit` gets the group's offset in
    /// `keys` and each row. Entries waiting to be sent stay waiting.
    private func forEachBatch(
        _ keys: [String], _ visit: (_ offset: Int, PostgresRow) throws -> Void, sql: () -> String
    ) throws {
        var offset = 0
        while offset < keys.count {
            let group = Array(keys[offset..<min(offset + Self.batchKeys, keys.count)])
            var binds = PostgresBindings()
            binds.append(group)
            for row in try session.run(sql(), binds) { try visit(offset, row) }
            offset += group.count
        }
    }

    func head() throws -> LedgerHead? {
        if let last = pending.last?.entry {
            return LedgerHead(seq: last.body.seq, bodyHash: last.bodyHashHex, time: last.body.time)
        }
        guard let row = try session.run("SELECT seq, record FROM ledger.entries ORDER BY seq DESC LIMIT 1").first
        else { return nil }
        let entry = try parsedRecord(row)
        return LedgerHead(seq: entry.body.seq, bodyHash: entry.bodyHashHex, time: entry.body.time)
    }

    func record(forID id: String) throws -> [UInt8]? {
        try records(forIDs: [id])[0]
    }

    /// Entries waiting to be sent answer from the queue; the others in one statement per ``batchKeys`` ids.
    func records(forIDs ids: [String]) throws -> [[UInt8]?] {
        var records = [[UInt8]?](repeating: nil, count: ids.count)
        var asked: [Int] = []
        for (index, id) in ids.enumerated() {
            if let waiting = pendingByID[Array(id.utf8)] {
                records[index] = pending[waiting].entry.record
            } else {
                asked.append(index)
            }
        }
        try forEachBatch(asked.map { ids[$0] }) { offset, row in
            let cells = row.makeRandomAccess()
            let ordinal = try cells[0].decode(Int64.self)
            let index = asked[offset + Int(ordinal) - 1]
            let entry = try parsedRecord(cells[1].decode(Int64.self), cells[2].decode(ByteBuffer.self))
            guard entry.body.id.hasSameBytes(as: ids[index]) else {
                throw StoreError(
                    .damaged,
                    "the stored id column of seq \(entry.body.seq) does not match its record; run `ledger verify`")
            }
            records[index] = entry.record
        } sql: {
            """
            SELECT k.i, e.seq, e.record FROM unnest($1::text[]) WITH ORDINALITY AS k(id, i)
            JOIN ledger.entries AS e ON e.id = k.id
            """
        }
        return records
    }

    private func parsedRecord(_ row: PostgresRow) throws -> Entry {
        let (seq, record) = try decode(row, (Int64, ByteBuffer).self)
        return try parsedRecord(seq, record)
    }

    private func parsedRecord(_ seq: Int64, _ record: ByteBuffer) throws -> Entry {
        let entry: Entry
        do { entry = try Entry.parse(record: Array(record.readableBytesView)) } catch {
            throw StoreError(.damaged, "the stored record of seq \(seq) is unreadable (\(error)); run `ledger verify`")
        }
        guard entry.body.seq == seq else {
            throw StoreError(.damaged, "the stored seq \(seq) does not match its record; run `ledger verify`")
        }
        return entry
    }

    // MARK: Projections

    func projectionState(_ table: ProjectionTable, key: String) throws -> String? {
        try projectionStates(table, keys: [key])[0]
    }

    /// One statement per ``batchKeys`` keys.
    func projectionStates(_ table: ProjectionTable, keys: [String]) throws -> [String?] {
        try checkColumns(table, [])
        try flush()
        var states = [String?](repeating: nil, count: keys.count)
        try forEachBatch(keys) { offset, row in
            let (ordinal, state) = try decode(row, (Int64, String).self)
            states[offset + Int(ordinal) - 1] = state
        } sql: {
            """
            SELECT k.i, t.state FROM unnest($1::text[]) WITH ORDINALITY AS k(key, i)
            JOIN ledger.\(table.name) AS t ON t.key = k.key
            """
        }
        return states
    }

    /// One statement per ``batchKeys`` lists of values: each list's first key, by key bytes (the `"C"` collation).
    func firstProjectionKeys(_ table: ProjectionTable, columns: [String], values: [[String]]) throws -> [String?] {
        try checkColumns(table, columns.map { ($0, "") })
        if let wrong = values.first(where: { $0.count != columns.count }) {
            throw StoreError(.invalidRequest, "\(wrong.count) value(s) for \(columns.count) column(s)")
        }
        guard !columns.isEmpty else { return try values.map { _ in try firstProjectionKey(table, where: []) } }
        try flush()
        var keys = [String?](repeating: nil, count: values.count)
        var offset = 0
        while offset < values.count {
            let group = values[offset..<min(offset + Self.batchKeys, values.count)]
            var binds = PostgresBindings()
            for (position, _) in columns.enumerated() {
                binds.append(group.map { Self.columnText(.string($0[position])) })
            }
            let arrays = columns.indices.map { "$\($0 + 1)::text[]" }.joined(separator: ", ")
            let names = columns.indices.map { "c\($0)" }.joined(separator: ", ")
            let matches = columns.enumerated().map { "t.\($1) = k.c\($0)" }.joined(separator: " AND ")
            let sql = """
                SELECT k.i, min(t.key) FROM unnest(\(arrays)) WITH ORDINALITY AS k(\(names), i)
                JOIN ledger.\(table.name) AS t ON \(matches) GROUP BY k.i
                """
            for row in try session.run(sql, binds) {
                let (ordinal, key) = try decode(row, (Int64, String).self)
                keys[offset + Int(ordinal) - 1] = key
            }
            offset += group.count
        }
        return keys
    }

    func firstProjectionKey(_ table: ProjectionTable, where filters: [(column: String, value: String)]) throws
        -> String?
    {
        try checkColumns(table, filters)
        let (clause, binds) = whereClause(filters)
        return try run("SELECT key FROM ledger.\(table.name)\(clause) ORDER BY key LIMIT 1", binds).first?.decode(
            String.self)
    }

    func forEachProjectionRow(
        _ table: ProjectionTable, where filters: [(column: String, value: String)],
        _ visit: (ProjectionRow) throws -> Bool
    ) throws {
        try checkColumns(table, filters)
        let (clause, binds) = whereClause(filters)
        let columns = table.columns.isEmpty ? "" : table.columns.joined(separator: ", ") + ", "
        let sql = "SELECT key, \(columns)state FROM ledger.\(table.name)\(clause) ORDER BY key"
        try forEachRow(sql, binds, cursor: true) { row in
            let cells = row.makeRandomAccess()
            let key = try cell(cells, 0, "\(table.name).key")
            var values: [JSONValue] = []
            for (offset, column) in table.columns.enumerated() {
                let text = try cell(cells, offset + 1, "\(table.name).\(column)")
                guard let value = try? JSONParser.parse(text), value.isColumnValue else {
                    throw StoreError(
                        .damaged,
                        "the stored \(table.name).\(column) of \(key) is not a column value; run `ledger verify`")
                }
                values.append(value)
            }
            let state = try cell(cells, table.columns.count + 1, "\(table.name).state")
            return try visit(ProjectionRow(table: table, key: key, columns: values, state: state))
        }
    }

    private func cell(_ cells: PostgresRandomAccessRow, _ index: Int, _ name: String) throws -> String {
        do { return try cells[index].decode(String.self) } catch {
            throw StoreError(.damaged, "the stored \(name) is not text; run `ledger verify`")
        }
    }

    func projectionSeq() throws -> Int64 {
        var built: [String: Int64] = [:]
        for row in try run("SELECT name, seq FROM ledger.projection_state") {
            let (name, seq) = try decode(row, (String, Int64).self)
            built[name] = seq
        }
        var lowest: Int64?
        for table in schema.tables {
            guard let seq = built[table.name] else { return 0 }
            lowest = min(lowest ?? seq, seq)
        }
        return lowest ?? 0
    }

    /// Filter columns are names from the schema, never from input: anything else is refused.
    private func checkColumns(_ table: ProjectionTable, _ filters: [(column: String, value: String)]) throws {
        try schema.check(table, filters: filters)
    }

    /// `WHERE column = $n AND …` over the columns' stored form (their canonical JSON text).
    private func whereClause(_ filters: [(column: String, value: String)]) -> (String, PostgresBindings) {
        var binds = PostgresBindings()
        var terms: [String] = []
        for filter in filters {
            binds.append(Self.columnText(.string(filter.value)))
            terms.append("\(filter.column) = $\(binds.count)")
        }
        return (terms.isEmpty ? "" : " WHERE " + terms.joined(separator: " AND "), binds)
    }

    /// A column value as stored: its JCS text.
    static func columnText(_ value: JSONValue) -> String {
        String(decoding: JCS.serialize(value), as: UTF8.self)
    }

    // MARK: LedgerWriteTransaction

    /// Queues the entry for the next group; its seq is checked now, its id and stream revision by the database
    /// when the group is sent (by the commit at the latest), which then refuses the whole transaction.
    func insert(_ entry: Entry, leafHash: [UInt8], nodes: [[UInt8]]) throws {
        let body = entry.body
        let last = try pending.last?.entry.body.seq ?? committedSeq ?? entryCount()
        committedSeq = committedSeq ?? last
        guard body.seq == last + 1 else {
            throw StoreError(.engine, "ledger entries are appended in seq order (seq \(body.seq) after \(last))")
        }
        pendingByID[Array(body.id.utf8)] = pending.count
        pendingStreamHead[Array(body.stream.utf8)] = pending.count
        pending.append((entry, leafHash, Array(nodes.joined())))
        if pending.count >= Self.group { try flush() }
    }

    func apply(_ effect: RuleEffect) throws {
        switch effect {
        case .none, .ledgerCreated, .logKeyRotated: break
        case .keyRegistered(let key):
            var binds = PostgresBindings()
            binds.append(key.keyID)
            binds.append(ByteBuffer(bytes: key.publicKey.raw))
            binds.append(key.name)
            binds.append(key.person)
            binds.append(key.agency)
            binds.append(key.roles.joined(separator: " "))
            binds.append(key.registeredSeq)
            try run(
                """
                INSERT INTO ledger.keys (key_id, public_key, name, person, agency, roles, registered_seq)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                """, binds)
        case .keyRevoked(let keyID, let seq, let compromisedSince):
            var binds = PostgresBindings()
            binds.append(seq)
            binds.append(compromisedSince)
            binds.append(keyID)
            try run("UPDATE ledger.keys SET revoked_seq = $1, compromised_since_seq = $2 WHERE key_id = $3", binds)
        }
    }

    func insertCheckpoint(size: Int64, note: String, at time: String) throws -> Bool {
        var binds = PostgresBindings()
        binds.append(size)
        binds.append(note)
        binds.append(time)
        return try insertedOne(
            "INSERT INTO ledger.checkpoints (size, note, created) VALUES ($1, $2, $3) ON CONFLICT (size) DO NOTHING",
            binds)
    }

    func insertCosignature(size: Int64, line: String, at time: String) throws -> Bool {
        var binds = PostgresBindings()
        binds.append(size)
        binds.append(line)
        binds.append(time)
        return try insertedOne(
            """
            INSERT INTO ledger.cosignatures (size, line, added) VALUES ($1, $2, $3)
            ON CONFLICT (size, line) DO NOTHING
            """, binds)
    }

    func insertTimestamp(size: Int64, response: [UInt8], at time: String) throws -> Bool {
        var binds = PostgresBindings()
        binds.append(size)
        binds.append(ByteBuffer(bytes: response))
        binds.append(ByteBuffer(bytes: SHA256.hash(response)))
        binds.append(time)
        return try insertedOne(
            """
            INSERT INTO ledger.timestamps (size, response, digest, added) VALUES ($1, $2, $3, $4)
            ON CONFLICT (size, digest) DO NOTHING
            """, binds)
    }

    /// Runs an `INSERT … ON CONFLICT DO NOTHING` of one row: true when the row was new.
    private func insertedOne(_ sql: String, _ binds: PostgresBindings) throws -> Bool {
        try run(sql, binds).metadata.rows == 1
    }

    func setMeta(_ name: String, _ value: String) throws {
        var binds = PostgresBindings()
        binds.append(name)
        binds.append(value)
        try run(
            "INSERT INTO ledger.meta (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            binds)
    }

    func writeProjectionRows(_ rows: [ProjectionRow], builtTo seq: Int64) throws {
        try upsert(rows, replacing: true)
        try recordProjectionState(builtTo: seq)
    }

    /// Sends rows table by table, one multi-row statement each; an upsert by key when `replacing` (a row that
    /// takes another key's values in a unique index is refused, never resolved by dropping that row).
    private func upsert(_ rows: [ProjectionRow], replacing: Bool) throws {
        var byTable: [ProjectionTable: [ProjectionRow]] = [:]
        var order: [ProjectionTable] = []
        for row in rows {
            if byTable[row.table] == nil { order.append(row.table) }
            byTable[row.table, default: []].append(row)
        }
        for table in order {
            try checkColumns(table, [])
            // One row per key, the last given: a statement may not change a row twice.
            var last: [[UInt8]: Int] = [:]
            let tableRows = byTable[table] ?? []
            for (index, row) in tableRows.enumerated() { last[Array(row.key.utf8)] = index }
            let kept = tableRows.indices.filter { last[Array(tableRows[$0].key.utf8)] == $0 }.map { tableRows[$0] }
            for row in kept where row.columns.count != table.columns.count || !row.columns.allSatisfy(\.isColumnValue) {
                throw StoreError(
                    .engine, "\(table.name) row \(row.key): every filter column needs a string or an integer value")
            }
            var binds = PostgresBindings(capacity: table.columns.count + 2)
            binds.append(kept.map(\.key))
            for offset in table.columns.indices {
                binds.append(kept.map { Self.columnText($0.columns[offset]) })
            }
            binds.append(kept.map(\.state))
            let names = ["key"] + table.columns + ["state"]
            let arrays = (1...names.count).map { "$\($0)::text[]" }.joined(separator: ", ")
            var sql =
                "INSERT INTO ledger.\(table.name) (\(names.joined(separator: ", "))) SELECT * FROM unnest(\(arrays))"
            if replacing {
                sql +=
                    " ON CONFLICT (key) DO UPDATE SET "
                    + names.dropFirst().map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
            }
            try run(sql, binds)
        }
    }

    /// Every table remembers the seq it is built to; an append brings them all to its last seq.
    private func recordProjectionState(builtTo seq: Int64) throws {
        var binds = PostgresBindings()
        binds.append(schema.tables.map(\.name))
        binds.append(seq)
        try run(
            """
            INSERT INTO ledger.projection_state (name, seq) SELECT unnest($1::text[]), $2
            ON CONFLICT (name) DO UPDATE SET seq = excluded.seq
            """, binds)
    }

    func clearProjections() throws {
        for table in schema.tables { try run("DELETE FROM ledger.\(table.name)") }
        try run("DELETE FROM ledger.projection_state")
    }

    func replaceAllProjections(
        builtTo seq: Int64, _ produce: (_ write: ([ProjectionRow]) throws -> Void) throws -> Void
    ) throws {
        try clearProjections()
        try produce { rows in try upsert(rows, replacing: false) }
        try recordProjectionState(builtTo: seq)
    }

    // MARK: Decoding

    /// The cells of a scan's row, read in order from their binary form.
    ///
    /// A bigint, bytea or text column, read without PostgresNIO's generic decoding, whose per-column type lookups
    /// cost a full scan (`ledger verify`) about 1 % of its CPU. A cell of another type or format, or NULL, is damage,
    /// as in ``decode(_:_:)``.
    private struct ScanCells {
        private var iterator: PostgresRow.Iterator

        init(_ row: PostgresRow) { iterator = row.makeIterator() }

        private mutating func next(_ type: PostgresDataType, _ name: String) throws -> ByteBuffer {
            guard let cell = iterator.next(), cell.format == .binary, let bytes = cell.bytes,
                cell.dataType == type || (type == .text && cell.dataType == .varchar)
            else {
                throw StoreError(
                    .damaged, "a stored value has an unexpected type or is missing (not \(name)); run `ledger verify`")
            }
            return bytes
        }

        mutating func int64() throws -> Int64 {
            var bytes = try next(.int8, "a bigint")
            guard bytes.readableBytes == 8, let value = bytes.readInteger(as: Int64.self) else {
                throw StoreError(.damaged, "a stored bigint is not 8 bytes long; run `ledger verify`")
            }
            return value
        }

        mutating func bytes() throws -> [UInt8] { Array(try next(.bytea, "bytea").readableBytesView) }

        mutating func text() throws -> String { String(buffer: try next(.text, "text")) }
    }

    /// Decodes a row's columns; a value of another type (a hand edit) is damage, never a crash.
    private func decode<each Column: PostgresDecodable>(_ row: PostgresRow, _ types: (repeat each Column).Type)
        throws -> (repeat each Column)
    {
        do { return try row.decode(types) } catch {
            throw StoreError(
                .damaged, "a stored value has an unexpected type or is missing (\(error)); run `ledger verify`")
        }
    }
}

extension JSONValue {
    /// A string or an integer: what a projection's filter column holds.
    fileprivate var isColumnValue: Bool {
        switch self {
        case .string, .integer: true
        default: false
        }
    }
}

extension PostgresSession {
    /// Runs `body` in a transaction opened by `begin` on this connection: committed (queued entries sent first)
    /// when it returns, rolled back when anything throws.
    func transaction<T>(_ begin: String, schema: ProjectionSchema, _ body: (PostgresTransaction) throws -> T) throws
        -> T
    {
        try run(begin)
        do {
            let transaction = PostgresTransaction(session: self, schema: schema)
            let result = try body(transaction)
            try transaction.flush()
            try run("COMMIT")
            return result
        } catch {
            rollBack()
            throw error
        }
    }
}
