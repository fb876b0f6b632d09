import Dispatch
import Foundation
import GRDBSQLite

/// Copies committed WAL frames back into the database file on a background thread of its own connection, so that a
/// commit waits only for its own WAL fsync, not for SQLite's automatic checkpoint (copy every page, fsync the file).
///
/// The writer's connection reports each commit through `sqlite3_wal_hook` (which replaces SQLite's automatic
/// checkpoint). At `backgroundPages` frames in the WAL a PASSIVE checkpoint is started here; it runs beside the
/// writer's next transactions and never blocks them. If it falls behind and the WAL reaches `inlinePages` frames,
/// the committing writer checkpoints itself, as SQLite's automatic checkpoint would. A crash at any point leaves a
/// consistent database: checkpointing only copies frames that are already durable in the WAL.
final class WALCheckpointer: @unchecked Sendable {
    // @unchecked: `connection` is used only on `queue`; `scheduled` and `completed` only under `lock`.
    private let path: String
    private let backgroundPages: Int32
    private let inlinePages: Int32
    private let queue = DispatchQueue(label: "custody-ledger.wal-checkpoint", qos: .utility)
    private let lock = NSLock()
    private var scheduled = false
    private var completedCount = 0
    private var connection: OpaquePointer?

    init(path: String, backgroundPages: Int32 = 1000, inlinePages: Int32 = 16_000) {
        self.path = path
        self.backgroundPages = backgroundPages
        self.inlinePages = inlinePages
    }

    /// Installs the commit hook on the writer's connection; `self` must outlive that connection.
    func install(on writer: OpaquePointer?) {
        sqlite3_wal_hook(writer, walHook, Unmanaged.passUnretained(self).toOpaque())
    }

    /// Called by SQLite on the writer's thread after each commit, with the number of frames now in the WAL.
    fileprivate func committed(writer: OpaquePointer?, walPages: Int32) {
        if walPages >= inlinePages {
            // The background copy is behind: bound the WAL as SQLite's automatic checkpoint would.
            sqlite3_wal_checkpoint_v2(writer, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            return
        }
        guard walPages >= backgroundPages else { return }
        lock.lock()
        let start = !scheduled
        scheduled = true
        lock.unlock()
        if start { queue.async { self.checkpoint() } }
    }

    private func checkpoint() {
        if connection == nil {
            var opened: OpaquePointer?
            if sqlite3_open_v2(path, &opened, SQLITE_OPEN_READWRITE, nil) == SQLITE_OK {
                // FULL: the copy is fsynced before the WAL may be reused, as in the writer's own checkpoints.
                sqlite3_exec(opened, "PRAGMA synchronous = FULL", nil, nil, nil)
                connection = opened
            } else {
                sqlite3_close_v2(opened)
            }
        }
        // PASSIVE never waits for or blocks the writer; BUSY (another process is checkpointing) is left to it.
        if let connection { sqlite3_wal_checkpoint_v2(connection, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil) }
        lock.lock()
        scheduled = false
        completedCount += 1
        lock.unlock()
    }

    /// Background checkpoints run so far (for tests).
    var completed: Int {
        lock.lock()
        defer { lock.unlock() }
        return completedCount
    }

    /// Waits for a running checkpoint and closes the background connection.
    func close() {
        queue.sync {
            if let connection { sqlite3_close_v2(connection) }
            connection = nil
        }
    }
}

private let walHook: @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?, UnsafePointer<CChar>?, Int32) -> Int32 =
    {
        context, writer, _, pages in
        guard let context else { return SQLITE_OK }
        Unmanaged<WALCheckpointer>.fromOpaque(context).takeUnretainedValue().committed(writer: writer, walPages: pages)
        return SQLITE_OK
    }
