import Foundation
import LedgerCrypto

#if canImport(Glibc)
    import Glibc
#endif

/// The hidden folders an export writes its bag into before renaming it into place, and the removal of those a
/// killed export left behind.
///
/// An export into `PARENT/NAME` writes `PARENT/.NAME.partial-PID-XXXXXXXX` (its pid, 8 random lowercase hex
/// digits) and holds an exclusive `flock` on that folder until it is renamed or removed. The next export into the
/// same parent removes a folder of exactly that form only when it is a folder (not a link), the pid is not a live
/// process, and its lock can be taken: a live exporter holds either (the lock covers one in another pid namespace
/// or on another host of a shared file system; only its first microseconds, between `mkdir` and `flock`, rely on
/// the pid alone). Folders of earlier versions, `.NAME.partial-XXXXXXXX` with neither pid nor lock, are removed
/// only when a day has passed since they last changed. Removal never follows a link: links inside are unlinked,
/// and folders of any depth are removed through their descriptors.
enum PartialExports {
    /// A folder being written, with the lock that says so.
    struct Folder {
        /// Its path.
        let path: String
        /// The open folder holding the lock; closing it releases the lock.
        let lock: Int32
    }

    /// Creates the hidden folder for an export to `directory` by this process and takes its lock.
    static func create(for directory: String) throws -> Folder {
        let suffix = SecureRandom.uuidV4().prefix(8)
        let path =
            DurableFiles.parent(of: directory) + "/.\(DurableFiles.name(of: directory)).partial-\(getpid())-\(suffix)"
        guard mkdir(path, 0o755) == 0 else {
            throw LedgerError.usage("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        let lock = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        // A file system without flock (some FUSE and SMB mounts) still exports: the pid in the name protects the
        // folder from a later export's clean-up, as for folders of earlier versions.
        guard lock >= 0, flock(lock, LOCK_EX | LOCK_NB) == 0 || [ENOSYS, EOPNOTSUPP, ENOLCK].contains(errno) else {
            let reason = String(cString: strerror(errno))
            if lock >= 0 { close(lock) }
            rmdir(path)
            throw LedgerError.usage("cannot lock \(path): \(reason)")
        }
        return Folder(path: path, lock: lock)
    }

    /// Who may own a folder whose name has our form.
    enum Owner: Equatable {
        /// An export of this version by process `pid`.
        case process(pid_t)
        /// An export of an earlier version, which recorded no owner.
        case unrecorded
    }

    /// The owner recorded in `name` when it has exactly the form of our hidden folders, or nil.
    static func owner(ofName name: [UInt8]) -> Owner? {
        let marker = Array(".partial-".utf8)
        func isHex(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) || (0x61...0x66).contains(byte) }
        func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
        guard name.count >= 1 + 1 + marker.count + 8, name[0] == UInt8(ascii: "."), name.suffix(8).allSatisfy(isHex)
        else { return nil }
        let head = Array(name.dropLast(8))
        if head.count >= marker.count + 2, Array(head.suffix(marker.count)) == marker {
            return .unrecorded
        }
        // `.NAME.partial-PID-` then the hex: PID is 1 to 10 digits without a leading zero.
        guard head.last == UInt8(ascii: "-") else { return nil }
        let beforeDash = head.dropLast()
        let digits = beforeDash.reversed().prefix { isDigit($0) }.count
        guard (1...10).contains(digits) else { return nil }
        let pidBytes = beforeDash.suffix(digits)
        guard pidBytes.first != UInt8(ascii: "0"), let pid = Int32(String(decoding: pidBytes, as: UTF8.self)) else {
            return nil
        }
        let rest = Array(beforeDash.dropLast(digits))
        guard rest.count >= marker.count + 2, Array(rest.suffix(marker.count)) == marker else { return nil }
        return .process(pid)
    }

    /// Removes every stale hidden folder in `parent` (see the type's summary); returns the paths removed.
    ///
    /// Best effort: a folder that cannot be removed is left, and a parent that cannot be read removes nothing.
    static func removeStale(in parent: String) -> [String] {
        let fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        let copy = dup(fd)
        guard copy >= 0, let stream = fdopendir(copy) else {
            if copy >= 0 { close(copy) }
            return []
        }
        var candidates: [([UInt8], Owner)] = []
        while let record = readdir(stream) {
            let name = withUnsafeBytes(of: &record.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
            if let owner = owner(ofName: name) { candidates.append((name, owner)) }
        }
        closedir(stream)
        var removed: [String] = []
        for (name, owner) in candidates where removeIfStale(name, owner: owner, parent: fd) {
            removed.append(parent + "/" + String(decoding: name, as: UTF8.self))
        }
        return removed.sorted()
    }

    /// A day: how long a folder of an earlier version must have been left unchanged before it counts as stale.
    static let unrecordedAge: time_t = 24 * 3600

    private static func removeIfStale(_ name: [UInt8], owner: Owner, parent: Int32) -> Bool {
        if case .process(let pid) = owner {
            guard pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { return false }
        }
        var info = stat()
        guard fstatat(parent, cString(name), &info, AT_SYMLINK_NOFOLLOW) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            return false
        }
        if owner == .unrecorded, time(nil) - info.st_mtim.tv_sec < unrecordedAge { return false }
        let folder = openat(parent, cString(name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard folder >= 0 else { return false }
        defer { close(folder) }
        var opened = stat()
        guard fstat(folder, &opened) == 0, opened.st_dev == info.st_dev, opened.st_ino == info.st_ino,
            flock(folder, LOCK_EX | LOCK_NB) == 0
        else { return false }
        do {
            try DirectoryWalk.walk(
                root: folder,
                visit: { entry, holder in
                    guard unlinkat(holder, cString(entry.name), 0) == 0 else { throw LedgerError.usage("unlink") }
                },
                leave: { entry, holder, _ in
                    guard unlinkat(holder, cString(entry.name), AT_REMOVEDIR) == 0 else {
                        throw LedgerError.usage("rmdir")
                    }
                })
        } catch {
            return false
        }
        return unlinkat(parent, cString(name), AT_REMOVEDIR) == 0
    }
}
