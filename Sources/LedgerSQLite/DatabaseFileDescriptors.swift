import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Descriptors of ledger database files that this process opens beside SQLite, kept open until it exits.
///
/// Closing *any* descriptor of a file releases every POSIX advisory lock the process holds on that file, SQLite's
/// own included ("How To Corrupt An SQLite Database File", §2.2). A reader that lost its lock on the database file
/// no longer holds back another process's closing checkpoint, so it reads pages newer than its snapshot (`ledger
/// verify` saw projections built past the log it had read); a writer that lost it could be joined by another.
/// So the store never closes a database file it opened itself: it opens each file once per process and keeps it.
enum DatabaseFileDescriptors {
    /// One descriptor per database file (device and inode), opened read-only.
    private static let open = Mutex<[FileIdentity: Int32]>([:])

    private struct FileIdentity: Hashable {
        let device: UInt64
        let inode: UInt64
    }

    /// A read-only descriptor of the file at `path` that stays open for the life of the process, or nil when it
    /// cannot be opened; never close it.
    static func descriptor(for path: String) -> Int32? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let identity = FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
        return open.withLock { descriptors -> Int32? in
            if let descriptor = descriptors[identity] { return descriptor }
            let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { return nil }
            var opened = stat()
            // The path may have been replaced between stat and open: keep the descriptor under what it opened.
            guard fstat(descriptor, &opened) == 0 else { return descriptor }
            descriptors[FileIdentity(device: UInt64(opened.st_dev), inode: UInt64(opened.st_ino))] = descriptor
            return descriptor
        }
    }
}
