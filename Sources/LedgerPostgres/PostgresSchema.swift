import Foundation
import LedgerCore

/// The tables of a ledger in PostgreSQL, in the schema `ledger` of its database, and the runtime role's grants.
///
/// Text that is compared or ordered uses the "C" collation (byte order), as SQLite does, so that every reader sees
/// the same order whatever the database's locale. Records are `bytea`: the exact bytes, never re-encoded.
enum PostgresSchema {
    /// The version of this layout, kept in `ledger.meta` as `schema_version`.
    static let version = "pg-1"

    /// The key of the transaction-level advisory lock that serializes the writers of a database's ledger.
    static let writerLock: Int64 = 0x6375_7374_6f64_7931

    /// The log's tables and their append-only triggers; then ``projectionTables(_:)``.
    static let logTables = """
        CREATE SCHEMA ledger;
        CREATE TABLE ledger.meta (name text COLLATE "C" PRIMARY KEY, value text NOT NULL);
        CREATE TABLE ledger.entries (
            seq bigint PRIMARY KEY,
            id text COLLATE "C" NOT NULL UNIQUE,
            stream text COLLATE "C" NOT NULL,
            stream_rev bigint NOT NULL,
            type text COLLATE "C" NOT NULL,
            actor text COLLATE "C" NOT NULL,
            time text COLLATE "C" NOT NULL,
            body_hash bytea NOT NULL,
            leaf_hash bytea NOT NULL,
            nodes bytea NOT NULL,
            record bytea NOT NULL,
            UNIQUE (stream, stream_rev)
        );
        CREATE INDEX entries_log_key_rotations ON ledger.entries (seq) WHERE type = 'ledger.log-key-rotated';
        CREATE TABLE ledger.keys (
            key_id text COLLATE "C" PRIMARY KEY,
            public_key bytea NOT NULL,
            name text NOT NULL,
            person text NOT NULL,
            agency text NOT NULL,
            roles text NOT NULL,
            registered_seq bigint NOT NULL,
            revoked_seq bigint,
            compromised_since_seq bigint
        );
        CREATE TABLE ledger.checkpoints (size bigint PRIMARY KEY, note text NOT NULL, created text NOT NULL);
        CREATE TABLE ledger.cosignatures (
            n bigserial PRIMARY KEY, size bigint NOT NULL, line text COLLATE "C" NOT NULL, added text NOT NULL,
            UNIQUE (size, line));
        CREATE TABLE ledger.timestamps (
            n bigserial PRIMARY KEY, size bigint NOT NULL, response bytea NOT NULL, digest bytea NOT NULL,
            added text NOT NULL, UNIQUE (size, digest));
        CREATE TABLE ledger.projection_state (name text COLLATE "C" PRIMARY KEY, seq bigint NOT NULL);

        CREATE FUNCTION ledger.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '% are append-only', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
        END $$;
        CREATE FUNCTION ledger.entries_in_order() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE low bigint; high bigint; added bigint;
        BEGIN
            -- Once per statement (a group of entries), after its rows are in: they must be the seqs right after
            -- every earlier entry, with none above them (seq is the primary key, so count = span means no gaps).
            -- Only MAX over the primary key: a cached generic plan of EXISTS (seq > $1) scans the whole table.
            SELECT min(seq), max(seq), count(*) INTO low, high, added FROM inserted;
            IF added > 0 AND (high - low + 1 <> added
                OR low <> (SELECT COALESCE(MAX(seq), 0) + 1 FROM ledger.entries WHERE seq < low)
                OR high <> (SELECT MAX(seq) FROM ledger.entries)) THEN
                RAISE EXCEPTION 'ledger entries are appended in seq order' USING ERRCODE = 'restrict_violation';
            END IF;
            RETURN NULL;
        END $$;
        CREATE TRIGGER entries_in_order AFTER INSERT ON ledger.entries REFERENCING NEW TABLE AS inserted
            FOR EACH STATEMENT EXECUTE FUNCTION ledger.entries_in_order();
        CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE ON ledger.entries
            FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
        CREATE TRIGGER entries_no_truncate BEFORE TRUNCATE ON ledger.entries
            FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
        CREATE TRIGGER checkpoints_append_only BEFORE UPDATE OR DELETE ON ledger.checkpoints
            FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
        CREATE TRIGGER checkpoints_no_truncate BEFORE TRUNCATE ON ledger.checkpoints
            FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
        CREATE TRIGGER cosignatures_append_only BEFORE UPDATE OR DELETE ON ledger.cosignatures
            FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
        CREATE TRIGGER timestamps_append_only BEFORE UPDATE OR DELETE ON ledger.timestamps
            FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
        CREATE TRIGGER cosignatures_no_truncate BEFORE TRUNCATE ON ledger.cosignatures
            FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
        CREATE TRIGGER timestamps_no_truncate BEFORE TRUNCATE ON ledger.timestamps
            FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
        """

    /// The read models: `key`, the filter columns (each value as its canonical JSON text, so a string and an
    /// integer stay apart), `state`; and their indexes.
    static func projectionTables(_ schema: ProjectionSchema) -> String {
        schema.tables.map { table in
            let columns = table.columns.map { "\($0) text COLLATE \"C\" NOT NULL, " }.joined()
            var sql =
                "CREATE TABLE ledger.\(table.name) (key text COLLATE \"C\" PRIMARY KEY, \(columns)state text NOT NULL);\n"
            for index in table.indexes {
                sql += "CREATE \(index.unique ? "UNIQUE " : "")INDEX \(index.name) ON ledger.\(table.name) ("
                sql += index.columns.joined(separator: ", ") + ");\n"
            }
            return sql
        }.joined()
    }

    /// What the runtime role may do: read everything; append to the log; change the keys' revocation columns and
    /// the projections, which replays rebuild.
    static func grants(to role: String, _ schema: ProjectionSchema) -> String {
        let role = quoted(role)
        let projections = (schema.tables.map { "ledger.\($0.name)" } + ["ledger.projection_state"])
            .joined(separator: ", ")
        return """
            GRANT USAGE ON SCHEMA ledger TO \(role);
            GRANT SELECT ON ALL TABLES IN SCHEMA ledger TO \(role);
            GRANT INSERT ON ledger.entries, ledger.checkpoints, ledger.cosignatures, ledger.timestamps, ledger.keys
                TO \(role);
            GRANT UPDATE (revoked_seq, compromised_since_seq) ON ledger.keys TO \(role);
            GRANT INSERT, UPDATE (value) ON ledger.meta TO \(role);
            GRANT USAGE ON ALL SEQUENCES IN SCHEMA ledger TO \(role);
            GRANT INSERT, UPDATE, DELETE ON \(projections) TO \(role);
            """
    }

    /// The statements of a script, one by one (the extended query protocol takes one at a time): split after each
    /// `;` that ends a line outside a `$$` body.
    static func statements(_ script: String) -> [String] {
        var statements: [String] = []
        var current = ""
        var inBody = false
        for line in script.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.components(separatedBy: "$$").count % 2 == 0 { inBody.toggle() }
            current += line + "\n"
            if !inBody, line.hasSuffix(";") {
                statements.append(current.trimmingCharacters(in: .whitespacesAndNewlines))
                current = ""
            }
        }
        let rest = current.trimmingCharacters(in: .whitespacesAndNewlines)
        if !rest.isEmpty { statements.append(rest) }
        return statements
    }

    /// An identifier in double quotes.
    static func quoted(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// The runtime role a database's ledger gets by default: `<database>_writer`.
    static func writerRole(database: String) -> String { "\(database)_writer" }
}
