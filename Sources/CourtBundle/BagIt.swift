import CustodyDomain
import LedgerCore
import LedgerCrypto

/// BagIt 1.0 (RFC 8493) tag files with SHA-256 manifests, as FORMAT.md §11.1 fixes them.
public enum BagIt {
    /// The exact contents of `bagit.txt`.
    public static let declaration = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
    /// The payload manifest's file name: one line per file under `data/`.
    public static let payloadManifest = "manifest-sha256.txt"
    /// The tag manifest's file name: one line per other file but itself.
    public static let tagManifest = "tagmanifest-sha256.txt"

    /// A manifest: `hex(SHA-256)  path` lines sorted by path (bytes).
    public static func manifest(_ files: [(path: String, sha256: [UInt8])]) -> String {
        files.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
            .map { "\(Hex.encode($0.sha256))  \($0.path)\n" }.joined()
    }

    /// Parses a manifest into (path, hex digest) lines (FORMAT.md §11.1): each line exactly 64 lowercase hex
    /// digits, two spaces and a path, in strictly ascending path order (bytes), so a repeated path is refused too.
    public static func parseManifest(_ text: String, name: String) throws(CoreError) -> [(path: String, hex: String)] {
        var lines: [(path: String, hex: String)] = []
        guard text.isEmpty || text.hasSuffix("\n") else { throw .format("\(name) does not end with a newline") }
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().enumerated() {
            let bytes = Array(line.utf8)
            let hex = bytes.prefix(64)
            guard bytes.count > 66, hex.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }),
                bytes[64] == 0x20, bytes[65] == 0x20, bytes[66] != 0x20, !bytes.contains(0x0d)
            else {
                throw .format(
                    "\(name) line \(number + 1) is not \"<64 lowercase hex digits>  <path>\" (two spaces): \"\(VisibleText.escape(String(line)))\""
                )
            }
            let path = String(decoding: bytes[66...], as: UTF8.self)
            guard !path.hasPrefix("/"), !path.split(separator: "/").contains("..") else {
                throw .format("\(name): malformed path in line \"\(VisibleText.escape(String(line)))\"")
            }
            if let previous = lines.last?.path, !previous.utf8.lexicographicallyPrecedes(path.utf8) {
                throw .format(
                    "\(name) line \(number + 1): \(VisibleText.escape(path)) is out of order or listed twice (lines are sorted by path)"
                )
            }
            lines.append((path, String(decoding: hex, as: UTF8.self)))
        }
        return lines
    }

    /// `Payload-Oxum`: total payload octets, a dot, the number of payload files.
    public static func payloadOxum(sizes: [Int]) -> String { "\(sizes.reduce(0, +)).\(sizes.count)" }

    /// `bag-info.txt` from ordered label/value pairs.
    public static func bagInfo(_ fields: [(label: String, value: String)]) -> String {
        fields.map { "\($0.label): \($0.value)\n" }.joined()
    }

    /// Parses `bag-info.txt` into label/value pairs: every line `Label: value` (FORMAT.md §11.1 allows no
    /// continuation lines and no blank line).
    public static func parseBagInfo(_ text: String) throws(CoreError) -> [(label: String, value: String)] {
        guard text.hasSuffix("\n") else { throw .format("bag-info.txt does not end with a newline") }
        var fields: [(label: String, value: String)] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            let label = line.prefix { $0 != ":" && $0 != " " && $0 != "\t" }
            let rest = line[label.endIndex...]
            guard !label.isEmpty, rest.hasPrefix(": ") else {
                throw .format("bag-info.txt: \"\(VisibleText.escape(String(line)))\" is not a \"Label: value\" line")
            }
            fields.append((String(label), String(rest.dropFirst(2))))
        }
        return fields
    }
}
