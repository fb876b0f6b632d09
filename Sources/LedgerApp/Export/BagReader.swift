import CourtBundle
import Foundation
import LedgerCrypto

#if canImport(Glibc)
    import Glibc
#endif

/// Reads a bag from disk for ``BundleVerifier`` (FORMAT.md §11.1), in memory bounded whatever the files' sizes.
///
/// The bag is walked by directory descriptors to any depth (``DirectoryWalk``). Each file of the bundle layout is
/// opened relative to its folder without following links and streamed through SHA-256 in 1 MiB pieces; only the
/// files the verifier parses or compares are kept, and one larger than its bound (``BundleLayout/readLimits``) is
/// not read at all. Files outside the layout are never opened: their names are enough to refuse the bag. Links,
/// devices, pipes, sockets and empty folders are recorded as problems.
enum BagReader {
    /// Bytes read from a file at a time.
    static let chunkSize = 1 << 20

    /// The bag in the folder `directory`; throws ``LedgerError`` (usage, exit 2) when it is not a folder, and
    /// ``DirectoryWalk/Failure`` when part of it cannot be read.
    ///
    /// `progress` is told the bytes read of each file, against the file's size.
    static func read(_ directory: String, progress: (@Sendable (String, Int64, Int64) -> Void)? = nil) throws
        -> BagContents
    {
        let root = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard root >= 0 else {
            let reason = String(cString: strerror(errno))
            throw LedgerError.usage("\(directory) is not a folder that can be read (\(reason))")
        }
        defer { close(root) }
        var bag = BagContents()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 4096)
        defer { buffer.deallocate() }
        try DirectoryWalk.walk(
            root: root,
            visit: { entry, folder in
                guard entry.kind == .regular else {
                    bag.note(BagContents.Problem(path: entry.path, kind: .notRegular))
                    return
                }
                guard let path = String(validating: entry.path, as: UTF8.self), BundleLayout.files.contains(path)
                else {
                    bag.noteStray(entry.path)
                    return
                }
                try readFile(entry, path: path, in: folder, buffer: buffer, into: &bag, progress: progress)
            },
            leave: { entry, _, count in
                if count == 0 { bag.note(BagContents.Problem(path: entry.path, kind: .emptyFolder)) }
            })
        return bag
    }

    /// Hashes one layout file from its descriptor, keeping its bytes when the verifier needs them.
    private static func readFile(
        _ entry: DirectoryWalk.Entry, path: String, in folder: Int32, buffer: UnsafeMutableRawBufferPointer,
        into bag: inout BagContents, progress: (@Sendable (String, Int64, Int64) -> Void)?
    ) throws {
        // O_NONBLOCK: should a pipe replace the file after the walk looked, opening it does not wait for a writer.
        let fd = openat(folder, cString(entry.name), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ELOOP {
                bag.note(BagContents.Problem(path: entry.path, kind: .notRegular))
                return
            }
            throw DirectoryWalk.Failure(description: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            bag.note(BagContents.Problem(path: entry.path, kind: .notRegular))
            return
        }
        let limit = BundleLayout.readLimits[path]
        if let limit, Int64(info.st_size) > limit {
            bag.note(BagContents.Problem(path: entry.path, kind: .tooLarge(size: Int64(info.st_size), limit: limit)))
            return
        }
        #if canImport(Glibc)
            _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
        #endif
        let keep = BundleLayout.loaded.contains(path)
        var bytes: [UInt8] = []
        if keep { bytes.reserveCapacity(Int(info.st_size)) }
        let digest = StreamingDigest(.sha256)
        var size: Int64 = 0
        while true {
            let count = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if count == 0 { break }
            guard count > 0 else {
                if errno == EINTR { continue }
                throw DirectoryWalk.Failure(description: "cannot read \(path): \(String(cString: strerror(errno)))")
            }
            let piece = UnsafeRawBufferPointer(rebasing: buffer[..<count])
            digest.update(piece)
            size += Int64(count)
            progress?("reading " + path + " (bytes)", size, Int64(info.st_size))
            // The file grew after fstat: the bound still holds.
            if let limit, size > limit {
                bag.note(BagContents.Problem(path: entry.path, kind: .tooLarge(size: size, limit: limit)))
                return
            }
            if keep { bytes.append(contentsOf: piece) }
        }
        bag.files[path] = BagContents.File(size: size, sha256: digest.finalize())
        if keep { bag.contents[path] = bytes }
    }
}
