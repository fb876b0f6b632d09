import LedgerCore

/// A bag as one POSIX ustar archive (POSIX.1-1988, what `tar` reads everywhere): how a server sends a court
/// bundle, and how the command line reads it back.
///
/// Every file is a regular file under one top folder (`bundle-OP-1/data/…`), mode 0644, owned by uid and gid 0,
/// dated the export's time; folders are implied by the paths. Reading accepts exactly that: regular files (and
/// folder entries) under one top folder, relative paths without `.` or `..` parts, nothing else.
public enum BagArchive {
    /// The archive's size limit when read back (a bag's files are bounded: FORMAT.md §11.1).
    public static let maxBytes = 1 << 32

    /// The 512-byte header of `path` (`top/…`) holding `size` bytes, dated `mtime` (seconds since 1970).
    public static func header(path: String, size: Int, mtime: Int64) throws(BagArchiveError) -> [UInt8] {
        let bytes = Array(path.utf8)
        var name = bytes
        var prefix: [UInt8] = []
        if bytes.count > 100 {
            // ustar splits a long path at a '/' into a prefix (≤ 155 bytes) and a name (≤ 100).
            guard
                let cut = bytes.indices.last(where: {
                    bytes[$0] == 0x2f && $0 <= 155 && bytes.count - $0 - 1 <= 100 && $0 > 0
                })
            else { throw .pathTooLong(path) }
            prefix = Array(bytes[..<cut])
            name = Array(bytes[(cut + 1)...])
        }
        var header = [UInt8](repeating: 0, count: 512)
        func put(_ value: [UInt8], at offset: Int) {
            header.replaceSubrange(offset..<offset + value.count, with: value)
        }
        func octal(_ value: Int64, width: Int) -> [UInt8] {
            let digits = Array(String(value, radix: 8).utf8)
            return [UInt8](repeating: 0x30, count: width - 1 - digits.count) + digits + [0]
        }
        put(name, at: 0)
        put(octal(0o644, width: 8), at: 100)
        put(octal(0, width: 8), at: 108)
        put(octal(0, width: 8), at: 116)
        put(octal(Int64(size), width: 12), at: 124)
        put(octal(max(0, mtime), width: 12), at: 136)
        put([UInt8](repeating: 0x20, count: 8), at: 148)
        header[156] = 0x30
        put(Array("ustar".utf8) + [0, 0x30, 0x30], at: 257)
        put(prefix, at: 345)
        let sum = header.reduce(0) { $0 + Int64($1) }
        put(octal(sum, width: 7) + [0x20], at: 148)
        return header
    }

    /// The zero bytes that pad `size` bytes of content to a whole block.
    public static func padding(after size: Int) -> [UInt8] {
        [UInt8](repeating: 0, count: (512 - size % 512) % 512)
    }

    /// The two zero blocks that end an archive.
    public static let end = [UInt8](repeating: 0, count: 1024)

    /// The whole archive of `files` under the folder `top`.
    public static func archive(_ files: [(path: String, bytes: [UInt8])], top: String, mtime: Int64)
        throws(BagArchiveError) -> [UInt8]
    {
        var out: [UInt8] = []
        for file in files {
            out += try header(path: top + "/" + file.path, size: file.bytes.count, mtime: mtime)
            out += file.bytes + padding(after: file.bytes.count)
        }
        return out + end
    }

    /// The files of an archive, by their path under its one top folder, checked as described above.
    public static func files(of archive: [UInt8]) throws(BagArchiveError) -> [(path: String, bytes: [UInt8])] {
        guard archive.count <= maxBytes else { throw .malformed("larger than \(maxBytes) bytes") }
        var files: [(path: String, bytes: [UInt8])] = []
        var seen = Set<String>()
        var top: String?
        var offset = 0
        while true {
            guard offset + 512 <= archive.count else { throw .malformed("it ends inside a header (truncated)") }
            let block = archive[offset..<offset + 512]
            if block.allSatisfy({ $0 == 0 }) { break }
            let base = block.startIndex
            func field(_ start: Int, _ length: Int) -> ArraySlice<UInt8> {
                let slice = block[base + start..<base + start + length]
                return slice.prefix(while: { $0 != 0 })
            }
            func number(_ start: Int, _ length: Int) throws(BagArchiveError) -> Int {
                let text = String(decoding: field(start, length), as: UTF8.self).trimmingSpaces()
                guard let value = Int(text, radix: 8), value >= 0 else {
                    throw .malformed("a header field is not an octal number (\(text))")
                }
                return value
            }
            let stored = try number(148, 8)
            let sum = block.enumerated().reduce(0) { total, byte in
                total + ((148..<156).contains(byte.offset) ? 0x20 : Int(byte.element))
            }
            guard stored == sum else { throw .malformed("a header's checksum is wrong") }
            let prefix = String(decoding: field(345, 155), as: UTF8.self)
            let name = String(decoding: field(0, 100), as: UTF8.self)
            let path = prefix.isEmpty ? name : prefix + "/" + name
            let size = try number(124, 12)
            let type = block[base + 156]
            offset += 512
            guard size <= archive.count - offset else { throw .malformed("\(path) ends after the archive (truncated)") }
            let content = Array(archive[offset..<offset + size])
            offset += size + (512 - size % 512) % 512
            var parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            if parts.last == "" && type == 0x35 { parts.removeLast() }
            guard !path.hasPrefix("/"), parts.count >= 1,
                !parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." })
            else { throw .unsafePath(path) }
            if top == nil { top = parts[0] }
            guard parts[0] == top else { throw .unsafePath(path) }
            switch type {
            case 0x35: continue  // a folder
            case 0x30, 0:
                guard parts.count >= 2 else { throw .unsafePath(path) }
                let inside = parts.dropFirst().joined(separator: "/")
                guard seen.insert(inside).inserted else { throw .malformed("\(path) is in it twice") }
                files.append((inside, content))
            default:
                throw .malformed("\(path) is not a regular file (type \(Character(Unicode.Scalar(type))))")
            }
        }
        return files
    }
}

/// Why an archive cannot be made or read.
public enum BagArchiveError: Error, Equatable, CustomStringConvertible {
    /// A path longer than ustar holds.
    case pathTooLong(String)
    /// A path outside the one top folder, absolute, or with `.` or `..` parts.
    case unsafePath(String)
    /// Not a ustar archive as written here.
    case malformed(String)

    /// The error in one line.
    public var description: String {
        switch self {
        case .pathTooLong(let path): "the path \(path) is too long for a tar archive"
        case .unsafePath(let path):
            "the archive holds \(VisibleText.escape(path)), which is not a path inside its one folder"
        case .malformed(let why): "not a bundle archive: \(VisibleText.escape(why))"
        }
    }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        var text = Substring(self)
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return String(text)
    }
}
