#if canImport(Glibc)
    import Glibc
#endif

/// Files written so that a crash or a full disk never leaves a half-written one under the final name.
enum DurableFiles {
    /// Writes `bytes` to a new file at `path` (mode `mode`) and flushes it to disk.
    static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws {
        let descriptor = Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC, mode)
        guard descriptor >= 0 else {
            throw LedgerError.usage("cannot write \(path): \(String(cString: strerror(errno)))")
        }
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            guard written > 0 else {
                let reason = String(cString: strerror(errno))
                Glibc.close(descriptor)
                throw LedgerError.usage("cannot write \(path): \(reason)")
            }
            offset += written
        }
        let synced = fsync(descriptor)
        Glibc.close(descriptor)
        guard synced == 0 else { throw LedgerError.usage("cannot write \(path): \(String(cString: strerror(errno)))") }
    }

    /// Writes `bytes` durably to `path`, replacing it atomically: a new file, fsync, then a rename.
    static func replace(_ path: String, with bytes: [UInt8], mode: mode_t = 0o644) throws {
        let temporary = path + ".new"
        try write(bytes, to: temporary, mode: mode)
        guard rename(temporary, path) == 0 else {
            throw LedgerError.usage("cannot write \(path): \(String(cString: strerror(errno)))")
        }
        syncDirectory(of: path)
    }

    /// The folder part of a path ("." for a bare name), without Foundation's path bridging.
    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// The last component of a path.
    static func name(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// Flushes a directory entry (a new file or a rename) to disk.
    static func syncDirectory(of path: String) {
        let descriptor = Glibc.open(parent(of: path), O_RDONLY | O_DIRECTORY)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        Glibc.close(descriptor)
    }
}
