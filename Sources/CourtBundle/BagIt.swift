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

    /// Parses a manifest into (path, hex digest) lines, refusing malformed lines and duplicate paths.
    public static func parseManifest(_ text: String, name: String) throws(CoreError) -> [(path: String, hex: String)] {
        var lines: [(path: String, hex: String)] = []
        var seen = Set<[UInt8]>()
        guard text.isEmpty || text.hasSuffix("\n") else { throw .format("\(name) does not end with a newline") }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            let parts = line.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0].utf8.count == 64, Hex.decode(String(parts[0])) != nil else {
                throw .format("\(name): malformed line \"\(line)\"")
            }
            let path = parts[1].drop { $0 == " " }
            guard !path.isEmpty, !path.hasPrefix("/"), !path.split(separator: "/").contains("..") else {
                throw .format("\(name): malformed path in line \"\(line)\"")
            }
            guard seen.insert(Array(path.utf8)).inserted else { throw .format("\(name) lists \(path) twice") }
            lines.append((String(path), String(parts[0]).lowercased()))
        }
        return lines
    }

    /// `Payload-Oxum`: total payload octets, a dot, the number of payload files.
    public static func payloadOxum(sizes: [Int]) -> String { "\(sizes.reduce(0, +)).\(sizes.count)" }

    /// `bag-info.txt` from ordered label/value pairs.
    public static func bagInfo(_ fields: [(label: String, value: String)]) -> String {
        fields.map { "\($0.label): \($0.value)\n" }.joined()
    }

    /// Parses `bag-info.txt` into label/value pairs (continuation lines start with whitespace).
    public static func parseBagInfo(_ text: String) throws(CoreError) -> [(label: String, value: String)] {
        var fields: [(label: String, value: String)] = []
        for line in text.split(separator: "\n") {
            if line.first == " " || line.first == "\t", let last = fields.popLast() {
                fields.append((last.label, last.value + " " + line.drop { $0 == " " || $0 == "\t" }))
                continue
            }
            guard let colon = line.firstIndex(of: ":") else {
                throw .format("bag-info.txt: malformed line \"\(line)\"")
            }
            fields.append((String(line[..<colon]), String(line[line.index(after: colon)...].drop { $0 == " " })))
        }
        return fields
    }
}
