import LedgerCore
import LedgerCrypto

/// A bag as its reader found it (FORMAT.md §11.1): the size and SHA-256 of every file of the bundle layout, the
/// bytes of the few files a verifier parses, and the first thing, in path order, that no bag may hold.
///
/// The reader streams every file through the hash and loads only ``BundleLayout/readLimits`` files, each within
/// its bound, so what ``BundleVerifier`` is given stays small whatever the bag holds; the verifier itself reads
/// nothing.
public struct BagContents: Sendable {
    /// One regular file of the layout.
    public struct File: Sendable, Equatable {
        /// Its size in bytes.
        public let size: Int64
        /// SHA-256 of its bytes, 32 bytes.
        public let sha256: [UInt8]

        /// A file of `size` bytes whose SHA-256 is `sha256`.
        public init(size: Int64, sha256: [UInt8]) {
            self.size = size
            self.sha256 = sha256
        }
    }

    /// Something no bag may hold, found by the walk.
    public struct Problem: Sendable, Equatable {
        /// What is wrong with it.
        public enum Kind: Sendable, Equatable {
            /// A link, device, pipe or socket.
            case notRegular
            /// A folder with nothing in it.
            case emptyFolder
            /// A layout file larger than the bound a verifier reads (FORMAT.md §11.1).
            case tooLarge(size: Int64, limit: Int64)
        }

        /// Its path relative to the bag, with `/`, as raw bytes (not necessarily UTF-8).
        public let path: [UInt8]
        /// What is wrong with it.
        public let kind: Kind

        /// A problem at `path`.
        public init(path: [UInt8], kind: Kind) {
            self.path = path
            self.kind = kind
        }
    }

    /// Every regular file of the bundle layout that is present, by path.
    public var files: [String: File] = [:]
    /// The bytes of the files a verifier parses or compares (``BundleLayout/loaded``), by path.
    public var contents: [String: [UInt8]] = [:]
    /// The first regular file, in path byte order, that is not a file of the bundle layout; its path's raw bytes.
    public private(set) var firstStray: [UInt8]?
    /// The first problem, in path byte order.
    public private(set) var problem: Problem?

    /// An empty bag, to be filled by a reader.
    public init() {}

    /// The bag of these in-memory files (path relative to the bag, with `/`), for tests and small inputs.
    public init(files: [String: [UInt8]]) {
        for (path, bytes) in files {
            guard BundleLayout.files.contains(path) else {
                noteStray(Array(path.utf8))
                continue
            }
            self.files[path] = File(size: Int64(bytes.count), sha256: SHA256.hash(bytes))
            if let limit = BundleLayout.readLimits[path], Int64(bytes.count) > limit {
                note(Problem(path: Array(path.utf8), kind: .tooLarge(size: Int64(bytes.count), limit: limit)))
            } else if BundleLayout.loaded.contains(path) {
                contents[path] = bytes
            }
        }
    }

    /// Records a regular file outside the layout; only the first in path order is kept.
    public mutating func noteStray(_ path: [UInt8]) {
        if firstStray.map({ path.lexicographicallyPrecedes($0) }) ?? true { firstStray = path }
    }

    /// Records a problem; only the first in path order is kept.
    public mutating func note(_ problem: Problem) {
        if self.problem.map({ problem.path.lexicographicallyPrecedes($0.path) }) ?? true { self.problem = problem }
    }
}

extension BagContents.Problem: CustomStringConvertible {
    /// One line naming the path readably (``BagPath/display(_:)``) and what is wrong.
    public var description: String {
        let shown = BagPath.display(path)
        switch kind {
        case .notRegular: return "\(shown) is not a regular file (a link, device, pipe or socket)"
        case .emptyFolder: return "\(shown) is an empty folder; a bundle holds none (FORMAT.md §11.1)"
        case .tooLarge(let size, let limit):
            return "\(shown) is larger than \(limit) bytes (\(size)), the most a verifier reads (FORMAT.md §11.1)"
        }
    }
}

extension BundleLayout {
    /// The tag files: every file of the bag outside `data/`.
    public static let tagFiles = ["bagit.txt", "bag-info.txt", BagIt.payloadManifest, BagIt.tagManifest]

    /// Every file a bag may hold.
    public static let files = Set(tagFiles + requiredPayload + [timestamp, targets])

    /// The largest size of each file a verifier parses or compares, in bytes (FORMAT.md §11.1).
    ///
    /// A larger one fails the bag unread. `VERIFY.md` has no bound: it is only hashed.
    public static let readLimits: [String: Int64] = [
        "bagit.txt": 4 << 10, "bag-info.txt": 64 << 10, BagIt.payloadManifest: 64 << 10,
        BagIt.tagManifest: 64 << 10, checkpoint: 1 << 20, timestamp: 1 << 20, disclosure: 64 << 20,
        entries: 1 << 30, proofs: 1 << 30, report: 1 << 30, targets: 1 << 30, graph: 1 << 30,
    ]

    /// The files `ledger verify-bundle` loads: every bounded file (the report and graph to compare them with their
    /// re-rendering).
    public static let loaded = Set(readLimits.keys)
}

/// How verifiers name a path of a bag in one line (FORMAT.md §11.1).
public enum BagPath {
    /// The path with every byte that is not part of valid UTF-8 as `\xNN`, every control, format or separator
    /// character as `\u{N}` (lowercase hex), `\` as `\\`; a path of more than 12 components shows the first 5 and
    /// the last 5 around `…(N more)…`.
    public static func display(_ path: [UInt8]) -> String {
        var components = path.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).map(escape)
        if components.count > 12 {
            components = components.prefix(5) + ["…(\(components.count - 10) more)…"] + components.suffix(5)
        }
        return components.joined(separator: "/")
    }

    /// One name, escaped.
    static func escape(_ name: ArraySlice<UInt8>) -> String {
        var out = ""
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = name.makeIterator()
        var remaining = name[...]
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                let scalar = Unicode.UTF8.decode(encoded)
                remaining = remaining.dropFirst(encoded.count)
                switch scalar.properties.generalCategory {
                case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate:
                    out += "\\u{" + String(scalar.value, radix: 16) + "}"
                default:
                    out += scalar == "\\" ? "\\\\" : String(scalar)
                }
            case .error(let length):
                for byte in remaining.prefix(length) {
                    out += "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16)
                }
                remaining = remaining.dropFirst(length)
            case .emptyInput:
                return out
            }
        }
    }
}
