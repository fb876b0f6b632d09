import CourtBundle
import Foundation
import LedgerCrypto
import LedgerTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Bags built to break a verifier rather than a signature (FORMAT.md §11.1).
///
/// Folders deeper than PATH_MAX, empty folders, files far larger than memory, names that are not UTF-8, files
/// nobody listed: both `ledger verify-bundle` and tools/verify_bundle.py must refuse them with exit 1 and one
/// readable line, in bounded memory.
struct HostileBagTests {
    /// A demo ledger and one item's bundle, made once.
    final class Fixture: Sendable {
        let directory = TemporaryDirectory("ledger-hostile")
        let vkey: String
        var bundle: URL { directory.url.appendingPathComponent("bag") }

        init() throws {
            let root = directory.url
            let demo = try CLI.run(["demo", "op", "--targets", "10"], in: root)
            guard demo.status == 0 else { throw HostileFiles.Failure("demo failed: \(demo.stderr)") }
            let export = try CLI.run(
                [
                    "export", "--item", "EV-0001", "--out", "bag", "--log-key", "op/keys/log.pem", "--ledger",
                    "op/custody.ledger", "--json",
                ], in: root)
            guard export.status == 0 else { throw HostileFiles.Failure("export failed: \(export.stderr)") }
            let object = try JSONSerialization.jsonObject(with: Data(export.stdout.utf8)) as? [String: Any]
            vkey = object?["log_vkey"] as? String ?? ""
        }
    }

    static let shared = Result { try Fixture() }
    var fixture: Fixture { get throws { try Self.shared.get() } }

    /// A copy of the bundle in a fresh folder, changed by `change`; removed (at any depth) by `cleanup`.
    func copy(_ change: (URL) throws -> Void) throws -> (bag: URL, cleanup: () -> Void) {
        let holder = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: holder, withIntermediateDirectories: true)
        let bag = holder.appendingPathComponent("bag")
        try FileManager.default.copyItem(at: try fixture.bundle, to: bag)
        try change(bag)
        return (bag, { HostileFiles.removeTree(holder.path) })
    }

    func swiftVerify(_ bag: URL) throws -> HostileFiles.Measured {
        try HostileFiles.measure(CLI.executable.path, ["verify-bundle", bag.path, "--trust-log-key", try fixture.vkey])
    }

    func pythonVerify(_ bag: URL) throws -> HostileFiles.Measured {
        try HostileFiles.measure(
            "/usr/bin/env", ["python3", BundleEndToEndTests.script, bag.path, "--trust-log-key", try fixture.vkey])
    }

    /// Both verifiers exit 1 with a failure line holding every one of `reasons`, and no traceback.
    func expectRejected(
        _ bag: URL, _ reasons: [String], sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let ours = try swiftVerify(bag)
        #expect(
            ours.status == 1, "verify-bundle: \(ours.status) \(ours.stdout)\(ours.stderr)",
            sourceLocation: sourceLocation)
        for reason in reasons {
            #expect(
                ours.stdout.contains(reason), "expected \"\(reason)\" in: \(ours.stdout)",
                sourceLocation: sourceLocation)
        }
        guard BundleEndToEndTests.python else { return }
        let theirs = try pythonVerify(bag)
        #expect(
            theirs.status == 1, "verify_bundle.py: \(theirs.status) \(theirs.stdout)\(theirs.stderr)",
            sourceLocation: sourceLocation)
        #expect(!theirs.stderr.contains("Traceback"), "\(theirs.stderr)", sourceLocation: sourceLocation)
        for reason in reasons {
            #expect(
                theirs.stdout.contains("FAILED") && theirs.stdout.contains(reason),
                "expected \"\(reason)\" in: \(theirs.stdout)", sourceLocation: sourceLocation)
        }
    }

    // MARK: Tests

    @Test func theUntouchedBundleVerifiesInBoth() throws {
        let (bag, cleanup) = try copy { _ in }
        defer { cleanup() }
        let ours = try swiftVerify(bag)
        #expect(ours.status == 0, "\(ours.stdout)\(ours.stderr)")
        if BundleEndToEndTests.python {
            let theirs = try pythonVerify(bag)
            #expect(theirs.status == 0, "\(theirs.stdout)\(theirs.stderr)")
        }
    }

    @Test func aFileTwoThousandOneHundredFoldersDeepIsFound() throws {
        let (bag, cleanup) = try copy { bag in
            try HostileFiles.makeDeepFolders(
                under: bag.appendingPathComponent("data").path, name: "d", depth: 2_100, file: "deep.txt")
        }
        defer { cleanup() }
        let ours = try swiftVerify(bag)
        print("deep bag: verify-bundle \(ours.seconds) s, peak RSS \(ours.peakResidentBytes >> 20) MiB")
        try expectRejected(bag, ["deep.txt", "is not listed in manifest-sha256.txt"])
    }

    @Test func aDeepFileListedInTheManifestIsStillRefused() throws {
        let (bag, cleanup) = try copy { bag in
            try HostileFiles.makeDeepFolders(
                under: bag.appendingPathComponent("data").path, name: "d", depth: 2_100, file: "deep.txt")
            // Listed with its right hash: it is still not a file of a custody-ledger bundle.
            let path = "data/" + Array(repeating: "d", count: 2_100).joined(separator: "/") + "/deep.txt"
            let manifest = bag.appendingPathComponent("manifest-sha256.txt")
            var text = try String(contentsOf: manifest, encoding: .utf8)
            text += "\(Hex.encode(SHA256.hash(Array("deep\n".utf8))))  \(path)\n"
            try Data(text.utf8).write(to: manifest)
        }
        defer { cleanup() }
        let ours = try swiftVerify(bag)
        #expect(ours.status == 1, "\(ours.stdout)\(ours.stderr)")
        #expect(ours.stdout.contains("deep.txt"), "\(ours.stdout)")
        if BundleEndToEndTests.python {
            let theirs = try pythonVerify(bag)
            #expect(theirs.status == 1 && theirs.stdout.contains("FAILED"), "\(theirs.stdout)\(theirs.stderr)")
        }
    }

    @Test func emptyFoldersAreRefused() throws {
        for folder in ["data/empty", "data/ledger/nested/empty", "extra"] {
            let (bag, cleanup) = try copy { bag in
                try FileManager.default.createDirectory(
                    at: bag.appendingPathComponent(folder), withIntermediateDirectories: true)
            }
            defer { cleanup() }
            try expectRejected(bag, ["\(folder) is an empty folder"])
        }
    }

    @Test func aFileNameThatIsNotUTF8IsNamedReadably() throws {
        let (bag, cleanup) = try copy { bag in
            // "bad", 0xFF (never UTF-8), a newline, a right-to-left override, "name.txt".
            try HostileFiles.makeFile(
                in: bag.appendingPathComponent("data/ledger").path,
                rawName: Array("bad".utf8) + [0xFF, 0x0A] + Array("\u{202E}name.txt".utf8))
        }
        defer { cleanup() }
        try expectRejected(bag, [#"data/ledger/bad\xff\u{a}\u{202e}name.txt is not listed in manifest-sha256.txt"#])
    }

    @Test func anUnlistedFileIsRefused() throws {
        for path in ["data/extra.txt", "data/ledger/extra.jsonl", "notes.txt"] {
            let (bag, cleanup) = try copy { bag in
                try Data("extra\n".utf8).write(to: bag.appendingPathComponent(path))
            }
            defer { cleanup() }
            let manifest = path.hasPrefix("data/") ? "manifest-sha256.txt" : "tagmanifest-sha256.txt"
            try expectRejected(bag, ["\(path) is not listed in \(manifest)"])
        }
    }

    @Test func linksAndPipesAreRefusedWithoutBeingOpened() throws {
        let (bag, cleanup) = try copy { bag in
            try FileManager.default.createSymbolicLink(
                atPath: bag.appendingPathComponent("data/link").path, withDestinationPath: "/etc/passwd")
        }
        defer { cleanup() }
        try expectRejected(bag, ["data/link is not a regular file"])
        let (piped, cleanupPiped) = try copy { bag in
            #expect(mkfifo(bag.appendingPathComponent("data/ledger/pipe").path, 0o644) == 0)
        }
        defer { cleanupPiped() }
        try expectRejected(piped, ["data/ledger/pipe is not a regular file"])
    }

    /// A 2 GiB sparse VERIFY.md (no data blocks, so it costs no disk) with the manifests recomputed: both verifiers
    /// hash it in pieces instead of holding it, and find that it is not the file the disclosure statement signed.
    @Test func aTwoGigabyteFileIsHashedInBoundedMemory() throws {
        let (bag, cleanup) = try copy { bag in
            try HostileFiles.makeSparseFile(at: bag.appendingPathComponent("data/VERIFY.md").path, size: 2 << 30)
            try Bags.rebag(bag)
        }
        defer { cleanup() }
        let ours = try swiftVerify(bag)
        print("sparse 2 GiB: verify-bundle peak RSS \(ours.peakResidentBytes >> 20) MiB, \(ours.seconds) s")
        #expect(ours.status == 1, "\(ours.stdout)\(ours.stderr)")
        #expect(ours.stdout.contains("data/VERIFY.md was changed after export"), "\(ours.stdout)")
        #expect(
            ours.peakResidentBytes > 0 && ours.peakResidentBytes < 256 << 20,
            "peak RSS \(ours.peakResidentBytes >> 20) MiB")
        guard BundleEndToEndTests.python else { return }
        let theirs = try pythonVerify(bag)
        print("sparse 2 GiB: verify_bundle.py peak RSS \(theirs.peakResidentBytes >> 20) MiB, \(theirs.seconds) s")
        #expect(theirs.status == 1, "\(theirs.stdout)\(theirs.stderr)")
        #expect(theirs.stdout.contains("data/VERIFY.md was changed after export"), "\(theirs.stdout)")
        #expect(
            theirs.peakResidentBytes > 0 && theirs.peakResidentBytes < 256 << 20,
            "peak RSS \(theirs.peakResidentBytes >> 20) MiB")
    }

    /// A parsed file beyond its bound (FORMAT.md §11.1) is refused before it is read.
    @Test func aParsedFileBeyondItsBoundIsRefusedUnread() throws {
        let (bag, cleanup) = try copy { bag in
            try HostileFiles.makeSparseFile(
                at: bag.appendingPathComponent("data/ledger/entries.jsonl").path, size: 2 << 30)
        }
        defer { cleanup() }
        try expectRejected(bag, ["data/ledger/entries.jsonl is larger than"])
        let ours = try swiftVerify(bag)
        // (A refusal this quick may end before its memory is sampled at all: 0, which is within the bound.)
        #expect(ours.peakResidentBytes < 256 << 20, "peak RSS \(ours.peakResidentBytes >> 20) MiB")
    }
}
