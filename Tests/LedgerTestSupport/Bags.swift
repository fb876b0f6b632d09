import CourtBundle
import Foundation
import LedgerCrypto

/// Helpers for tampering with court-export bags in tests.
public enum Bags {
    /// Recomputes the payload manifest, Payload-Oxum and the tag manifest of `bag`, reading every file in pieces
    /// (so a sparse file of gigabytes costs no memory): a tampered bag then passes the manifest checks, and only
    /// the deeper checks can catch it.
    public static func rebag(_ bag: URL) throws {
        var payload: [(path: String, sha256: [UInt8])] = []
        var sizes: [Int] = []
        let manager = FileManager.default
        let walker = manager.enumerator(atPath: bag.appendingPathComponent("data").path)
        while let relative = walker?.nextObject() as? String {
            let url = bag.appendingPathComponent("data/" + relative)
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else {
                continue
            }
            let (digest, size) = try sha256(url)
            payload.append(("data/" + relative, digest))
            sizes.append(size)
        }
        try Data(BagIt.manifest(payload).utf8).write(to: bag.appendingPathComponent("manifest-sha256.txt"))
        let infoURL = bag.appendingPathComponent("bag-info.txt")
        let info = try String(contentsOf: infoURL, encoding: .utf8).split(separator: "\n").map {
            $0.hasPrefix("Payload-Oxum:") ? "Payload-Oxum: \(BagIt.payloadOxum(sizes: sizes))" : String($0)
        }
        try Data((info.joined(separator: "\n") + "\n").utf8).write(to: infoURL)
        let tags = try ["bagit.txt", "bag-info.txt", "manifest-sha256.txt"].map {
            ($0, try sha256(bag.appendingPathComponent($0)).digest)
        }
        try Data(BagIt.manifest(tags).utf8).write(to: bag.appendingPathComponent("tagmanifest-sha256.txt"))
    }

    /// The SHA-256 and size of a file, read in 1 MiB pieces.
    public static func sha256(_ url: URL) throws -> (digest: [UInt8], size: Int) {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        let digest = StreamingDigest(.sha256)
        var size = 0
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            digest.update(chunk)
            size += chunk.count
        }
        return (digest.finalize(), size)
    }
}
