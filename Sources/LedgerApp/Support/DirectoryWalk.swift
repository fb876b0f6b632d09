import CourtBundle
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Walks a folder tree of any depth through directory descriptors, never through full paths, never following
/// links, with one folder open at a time.
///
/// A path thousands of folders deep is longer than PATH_MAX, and a descriptor per level would run out of
/// descriptors, so the walk holds an explicit stack of the folders it is inside (their names, identities and the
/// subfolders still to visit) and climbs back through `..`, checking that it arrives in the folder it left (device
/// and inode). Memory is the names of one folder's listing plus the pending subfolders along the current path,
/// never anything proportional to file sizes.
enum DirectoryWalk {
    /// What an entry is, by `fstatat(AT_SYMLINK_NOFOLLOW)`: a link is `other`, never what it points to.
    enum Kind {
        case regular, directory, other
    }

    /// One entry of the tree.
    struct Entry {
        /// Its name in its folder (raw bytes).
        let name: [UInt8]
        /// Its path relative to the root, joined with `/` (raw bytes).
        let path: [UInt8]
        let kind: Kind
    }

    /// Why the walk stopped.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// A folder the walk is inside.
    private struct Level {
        let entry: Entry
        let device: UInt
        let inode: UInt
        /// The subfolders still to visit.
        var pending: [Entry]
        /// How many entries the folder holds.
        let count: Int
    }

    /// Visits every entry under the folder `root` (an open descriptor, which the walk does not close).
    ///
    /// `visit` is called for every file or other non-folder entry with the descriptor of the folder holding it
    /// (valid only during the call); `leave` after a folder's whole subtree, with the descriptor of its parent and
    /// the number of entries the folder held when it was listed. Throws ``Failure`` when a folder cannot be
    /// listed or opened, or when the tree changes under the walk; rethrows what the closures throw.
    static func walk(
        root: Int32, visit: (Entry, Int32) throws -> Void, leave: (Entry, Int32, Int) throws -> Void
    ) throws {
        var current = dup(root)
        guard current >= 0 else { throw failure("cannot read the folder", path: []) }
        defer { close(current) }
        var rootStat = stat()
        guard fstat(current, &rootStat) == 0 else { throw failure("cannot read the folder", path: []) }
        let top = Entry(name: [], path: [], kind: .directory)
        let (children, count) = try list(current, at: top)
        for child in children where child.kind != .directory { try visit(child, current) }
        var stack = [
            Level(
                entry: top, device: UInt(rootStat.st_dev), inode: UInt(rootStat.st_ino),
                pending: children.filter { $0.kind == .directory }.reversed(), count: count)
        ]
        while var level = stack.popLast() {
            if let next = level.pending.popLast() {
                stack.append(level)
                let child = openat(current, cString(next.name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                guard child >= 0 else { throw failure("cannot open the folder", path: next.path) }
                var info = stat()
                guard fstat(child, &info) == 0 else {
                    close(child)
                    throw failure("cannot open the folder", path: next.path)
                }
                close(current)
                current = child
                let (entries, count) = try list(current, at: next)
                for entry in entries where entry.kind != .directory { try visit(entry, current) }
                stack.append(
                    Level(
                        entry: next, device: UInt(info.st_dev), inode: UInt(info.st_ino),
                        pending: entries.filter { $0.kind == .directory }.reversed(), count: count))
                continue
            }
            guard let parent = stack.last else { break }
            // Climb back; the folder reached must be the one we came down from, or the tree moved under us.
            let up = openat(current, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            var info = stat()
            guard up >= 0, fstat(up, &info) == 0, UInt(info.st_dev) == parent.device, UInt(info.st_ino) == parent.inode
            else {
                if up >= 0 { close(up) }
                throw Failure(description: "\(BagPath.display(level.entry.path)) moved while it was being read")
            }
            close(current)
            current = up
            try leave(level.entry, current, level.count)
        }
    }

    /// The entries of the folder open as `fd` (but `.` and `..`) with their kinds, and how many there are.
    private static func list(_ fd: Int32, at folder: Entry) throws -> ([Entry], Int) {
        let copy = dup(fd)
        guard copy >= 0, let stream = fdopendir(copy) else {
            if copy >= 0 { close(copy) }
            throw failure("cannot list the folder", path: folder.path)
        }
        defer { closedir(stream) }
        var names: [[UInt8]] = []
        while true {
            // readdir signals an error only through errno, so clear it before each call.
            errno = 0
            guard let record = readdir(stream) else { break }
            let name = withUnsafeBytes(of: &record.pointee.d_name) { raw in
                Array(raw.prefix { $0 != 0 })
            }
            if name != [0x2e] && name != [0x2e, 0x2e] { names.append(name) }
        }
        guard errno == 0 else { throw failure("cannot list the folder", path: folder.path) }
        var entries: [Entry] = []
        entries.reserveCapacity(names.count)
        for name in names {
            let path = folder.path.isEmpty ? name : folder.path + [UInt8(ascii: "/")] + name
            var info = stat()
            guard fstatat(fd, cString(name), &info, AT_SYMLINK_NOFOLLOW) == 0 else {
                throw failure("cannot read", path: path)
            }
            let kind: Kind
            switch info.st_mode & S_IFMT {
            case S_IFREG: kind = .regular
            case S_IFDIR: kind = .directory
            default: kind = .other
            }
            entries.append(Entry(name: name, path: path, kind: kind))
        }
        return (entries, names.count)
    }

    private static func failure(_ what: String, path: [UInt8]) -> Failure {
        let reason = String(cString: strerror(errno))
        return Failure(description: path.isEmpty ? "\(what): \(reason)" : "\(what) \(BagPath.display(path)): \(reason)")
    }
}

/// A name's raw bytes as a NUL-terminated C string (names need not be UTF-8, so no `String` in between).
func cString(_ bytes: [UInt8]) -> [CChar] {
    bytes.map { CChar(bitPattern: $0) } + [0]
}
