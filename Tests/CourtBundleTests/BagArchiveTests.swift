import Foundation
import LedgerCore
import Testing

@testable import CourtBundle

/// A bag as one ustar archive: what the server sends, what `tar` reads, what the command line accepts back.
struct BagArchiveTests {
    static let files: [(path: String, bytes: [UInt8])] = [
        ("bagit.txt", Array("BagIt-Version: 1.0\n".utf8)),
        ("data/ledger/entries.jsonl", Array(repeating: 0x61, count: 1_000)),
        ("data/empty", []),
        ("data/" + String(repeating: "long-folder-name/", count: 6) + "file.txt", Array("deep\n".utf8)),
    ]

    @Test func filesComeBackExactlyAsWritten() throws {
        let archive = try BagArchive.archive(Self.files, top: "bundle-OP-1", mtime: 1_700_000_000)
        #expect(archive.count % 512 == 0)
        let read = try BagArchive.files(of: archive)
        #expect(read.map(\.path) == Self.files.map(\.path))
        #expect(read.map(\.bytes) == Self.files.map(\.bytes))
    }

    /// The system's `tar` lists and extracts it: the archive is the standard format, not a private one.
    @Test func theSystemTarReadsIt() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bag-archive-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("bundle.tar")
        try Data(try BagArchive.archive(Self.files, top: "bundle-OP-1", mtime: 1_700_000_000)).write(to: file)
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        tar.arguments = ["tar", "-xf", file.path, "-C", folder.path]
        try tar.run()
        tar.waitUntilExit()
        #expect(tar.terminationStatus == 0)
        for expected in Self.files {
            let path = folder.appendingPathComponent("bundle-OP-1/" + expected.path).path
            #expect(FileManager.default.contents(atPath: path).map(Array.init) == expected.bytes, "\(expected.path)")
        }
    }

    @Test func hostileArchivesAreRefused() throws {
        func archive(_ path: String, type: UInt8 = 0x30) throws -> [UInt8] {
            var header = try BagArchive.header(path: path, size: 1, mtime: 0)
            if type != 0x30 {
                header[156] = type
                header.replaceSubrange(148..<156, with: [UInt8](repeating: 0x20, count: 8))
                let sum = header.reduce(0) { $0 + Int($1) }
                let digits = Array(String(sum, radix: 8).utf8)
                header.replaceSubrange(
                    148..<156, with: [UInt8](repeating: 0x30, count: 6 - digits.count) + digits + [0, 0x20])
            }
            return header + [0x78] + BagArchive.padding(after: 1) + BagArchive.end
        }
        for path in ["/etc/passwd", "bundle/../escape", "bundle/./x", "loose-file"] {
            #expect(throws: BagArchiveError.unsafePath(path)) { try BagArchive.files(of: try archive(path)) }
        }
        let twoFolders =
            try BagArchive.archive([("a", [1])], top: "one", mtime: 0).dropLast(1024)
            + (try BagArchive.archive([("b", [2])], top: "two", mtime: 0))
        #expect(throws: BagArchiveError.unsafePath("two/b")) { try BagArchive.files(of: Array(twoFolders)) }
        // A symbolic link (type 2) and a hard link (type 1) are not bag files.
        for type: UInt8 in [0x31, 0x32] {
            #expect(throws: BagArchiveError.self) { try BagArchive.files(of: try archive("bundle/link", type: type)) }
        }
        var corrupted = try archive("bundle/x")
        corrupted[0] = 0x63
        #expect(throws: BagArchiveError.malformed("a header's checksum is wrong")) {
            try BagArchive.files(of: corrupted)
        }
        let whole = try BagArchive.archive(Self.files, top: "bundle", mtime: 0)
        for cut in [100, 700, whole.count - 1024 - 1] {
            #expect(throws: BagArchiveError.self) { try BagArchive.files(of: Array(whole.prefix(cut))) }
        }
        let twice = try BagArchive.archive([("a", [1]), ("a", [2])], top: "bundle", mtime: 0)
        #expect(throws: BagArchiveError.malformed("bundle/a is in it twice")) { try BagArchive.files(of: twice) }
        #expect(throws: BagArchiveError.pathTooLong(String(repeating: "x", count: 300))) {
            try BagArchive.header(path: String(repeating: "x", count: 300), size: 0, mtime: 0)
        }
    }
}
