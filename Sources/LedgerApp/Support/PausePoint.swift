import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Named places where a debug build of `ledger` stops when a test asks it to, so that crash tests kill the process
/// exactly there rather than after a guessed delay.
///
/// With `LEDGER_PAUSE_AT=NAME`, the first time the process reaches the point `NAME` it writes `paused at NAME` to
/// standard error and waits to be killed; `NAME:N` pauses the Nth time (the third chunk of a batch, say). Release
/// builds compile ``reach()`` to nothing and ignore the variable.
public enum PausePoint: String, Sendable, CaseIterable {
    /// An append's entries and projection rows are written, inside the write transaction, before its commit (each
    /// chunk of a chunked batch reaches it once).
    case beforeCommit = "append.before-commit"
    /// An append is committed and durable; the command has not reported it yet.
    case afterCommit = "append.after-commit"
    /// `ledger rebuild` has emptied the projection tables and written the first rows of the bulk load, uncommitted.
    case rebuildBulkLoad = "rebuild.bulk-load"
    /// `ledger export` has written and synced the bundle in its hidden folder and is about to rename it into place.
    case exportRename = "export.rename"

    /// Pauses here for good when the environment asks for this point (debug builds only).
    public func reach() {
        #if DEBUG
            guard let (name, ordinal) = Self.requested, name == rawValue else { return }
            let count = Self.reached.withLock { counts -> Int in
                counts[rawValue, default: 0] += 1
                return counts[rawValue, default: 0]
            }
            guard count == ordinal else { return }
            let line = Array("paused at \(rawValue)\n".utf8)
            _ = line.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
            while true { sleep(3600) }
        #endif
    }

    #if DEBUG
        /// The point and ordinal `LEDGER_PAUSE_AT` names, read once.
        private static let requested: (String, Int)? = {
            guard let value = getenv("LEDGER_PAUSE_AT").map({ String(cString: $0) }), !value.isEmpty else {
                return nil
            }
            let parts = value.split(separator: ":", maxSplits: 1)
            let ordinal = parts.count == 2 ? Int(parts[1]) ?? 1 : 1
            return (String(parts[0]), ordinal)
        }()
        /// How often each point was reached so far.
        private static let reached = Mutex<[String: Int]>([:])
    #endif
}
