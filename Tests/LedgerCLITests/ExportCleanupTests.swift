import Foundation
import LedgerTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// An export that is killed leaves its hidden `.NAME.partial-PID-XXXXXXXX` folder behind; the next export into the
/// same parent removes such folders when no live export owns them, says so, and touches nothing else.
struct ExportCleanupTests {
    /// A demo ledger, made once.
    final class Fixture: Sendable {
        let directory = TemporaryDirectory("ledger-cleanup")
        var root: URL { directory.url }

        init() throws {
            let demo = try CLI.run(["demo", "op", "--targets", "10"], in: directory.url)
            guard demo.status == 0 else { throw HostileFiles.Failure("demo failed: \(demo.stderr)") }
        }
    }

    static let shared = Result { try Fixture() }
    var fixture: Fixture { get throws { try Self.shared.get() } }

    /// A fresh parent folder for bundles, inside the fixture's folder.
    func parent() throws -> URL {
        let url = try fixture.root.appendingPathComponent("exports-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    func export(into parent: URL, _ name: String = "bundle", json: Bool = false) throws -> CLI.Output {
        try CLI.run(
            [
                "export", "--item", "EV-0001", "--out", parent.appendingPathComponent(name).path, "--log-key",
                "op/keys/log.pem", "--ledger", "op/custody.ledger",
            ] + (json ? ["--json"] : []), in: try fixture.root)
    }

    /// The pid of a process that has exited and been reaped.
    static func deadPID() throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }

    /// A folder that looks like a half-written bag.
    static func makePartial(_ url: URL) throws {
        try FileManager.default.createDirectory(
            at: url.appendingPathComponent("data/ledger"), withIntermediateDirectories: true)
        try Data("half\n".utf8).write(to: url.appendingPathComponent("data/ledger/entries.jsonl"))
    }

    static func exists(_ url: URL) -> Bool {
        var info = stat()
        return lstat(url.path, &info) == 0
    }

    @Test func aKilledExportsFolderIsRemovedByTheNextExport() throws {
        let parent = try parent()
        defer { HostileFiles.removeTree(parent.path) }
        let dead = try Self.deadPID()
        let stale = parent.appendingPathComponent(".old.partial-\(dead)-0123abcd")
        try Self.makePartial(stale)
        // Deeper than PATH_MAX inside, and a link out of it that must not be followed.
        try HostileFiles.makeDeepFolders(under: stale.path, name: "d", depth: 2_100, file: "deep.txt")
        let outside = parent.appendingPathComponent("outside")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        try Data("keep\n".utf8).write(to: outside.appendingPathComponent("precious.txt"))
        try FileManager.default.createSymbolicLink(
            atPath: stale.appendingPathComponent("data/link").path, withDestinationPath: outside.path)

        let result = try export(into: parent)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(
            result.stdout.contains("removed \(stale.path)"), "no line names the removed folder: \(result.stdout)")
        #expect(!Self.exists(stale))
        #expect(FileManager.default.fileExists(atPath: outside.appendingPathComponent("precious.txt").path))
        let verify = try CLI.run(["verify-bundle", parent.appendingPathComponent("bundle").path], in: parent)
        #expect(verify.status == 0, "\(verify.stdout)")
        // The next export finds nothing to remove and says nothing about it.
        let again = try export(into: parent, "second")
        #expect(again.status == 0)
        #expect(!again.stdout.contains("removed"))
    }

    /// The real thing: an export SIGKILLed while it writes leaves its hidden folder, and the next export removes it.
    @Test func anExportKilledWhileWritingLeavesAFolderTheNextOneRemoves() throws {
        let parent = try parent()
        defer { HostileFiles.removeTree(parent.path) }
        var left: [String] = []
        // The bag is written in a few milliseconds; poll for the hidden folder and kill the export when it appears.
        for attempt in 0..<40 where left.isEmpty {
            let (process, out, err) = try CLI.start(
                [
                    "export", "--item", "EV-0001", "--out", parent.appendingPathComponent("killed-\(attempt)").path,
                    "--log-key", "op/keys/log.pem", "--ledger", "op/custody.ledger",
                ], in: try fixture.root)
            let deadline = Date().addingTimeInterval(20)
            while process.isRunning && Date() < deadline {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: parent.path)) ?? []
                if names.contains(where: { $0.hasPrefix(".killed-\(attempt).partial-") }) {
                    kill(process.processIdentifier, SIGKILL)
                    break
                }
                usleep(100)
            }
            _ = CLI.finish(process, out, err)
            left = try FileManager.default.contentsOfDirectory(atPath: parent.path).filter { $0.hasPrefix(".killed-") }
        }
        let killed = try #require(left.first, "no export was caught while it was writing its bag")
        let result = try export(into: parent)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("removed \(parent.path)/\(killed)"), "\(result.stdout)")
        let hidden = try FileManager.default.contentsOfDirectory(atPath: parent.path).filter { $0.hasPrefix(".") }
        #expect(hidden.isEmpty, "\(hidden)")
    }

    @Test func theJSONResultNamesTheRemovedFolders() throws {
        let parent = try parent()
        defer { HostileFiles.removeTree(parent.path) }
        let stale = parent.appendingPathComponent(".b.partial-\(try Self.deadPID())-89abcdef")
        try Self.makePartial(stale)
        let result = try export(into: parent, json: true)
        #expect(result.status == 0, "\(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect(object?["removed_partials"] as? [String] == [stale.path], "\(result.stdout)")
        #expect(!Self.exists(stale))
    }

    @Test func foldersOfLiveExportsLinksAndOtherNamesAreKept() throws {
        let parent = try parent()
        defer { HostileFiles.removeTree(parent.path) }
        let dead = try Self.deadPID()
        // The pid in the name is alive (this test process).
        let live = parent.appendingPathComponent(".a.partial-\(getpid())-0123abcd")
        try Self.makePartial(live)
        // A dead pid, but a live process holds the folder's lock (as an exporter in another pid namespace would).
        let locked = parent.appendingPathComponent(".b.partial-\(dead)-89abcdef")
        try Self.makePartial(locked)
        let lock = open(locked.path, O_RDONLY | O_DIRECTORY)
        #expect(lock >= 0 && flock(lock, LOCK_EX | LOCK_NB) == 0)
        defer { close(lock) }
        // A link with the right name, to a folder that must survive.
        let target = parent.appendingPathComponent("target")
        try Self.makePartial(target)
        let link = parent.appendingPathComponent(".c.partial-\(dead)-deadbeef")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: target.path)
        // Names that are not exactly ours, and a plain file with our name.
        var others = [
            ".d.partial-\(dead)-0123abc", "d.partial-\(dead)-0123abcd", ".e.partial-\(dead)-0123ABCD",
            ".f.partial-\(dead)-0123abcd.x", ".partial-\(dead)-0123abcd", ".g.partial-0\(dead)-0123abcd",
        ].map { parent.appendingPathComponent($0) }
        for url in others { try Self.makePartial(url) }
        let file = parent.appendingPathComponent(".h.partial-\(dead)-0123abcd")
        try Data("not a folder\n".utf8).write(to: file)
        others += [live, locked, link, target, file]

        let result = try export(into: parent)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(!result.stdout.contains("removed"), "\(result.stdout)")
        for url in others { #expect(Self.exists(url), "\(url.lastPathComponent) was removed") }
        #expect(FileManager.default.fileExists(atPath: target.appendingPathComponent("data/ledger/entries.jsonl").path))
    }

    /// Folders of earlier versions (`.NAME.partial-XXXXXXXX`, no pid, no lock) are removed only when a day old.
    @Test func foldersOfEarlierVersionsAreRemovedOnlyWhenADayOld() throws {
        let parent = try parent()
        defer { HostileFiles.removeTree(parent.path) }
        let old = parent.appendingPathComponent(".old.partial-0123abcd")
        let fresh = parent.appendingPathComponent(".fresh.partial-89abcdef")
        try Self.makePartial(old)
        try Self.makePartial(fresh)
        let touched = try CLI.shell("touch -h -d '2 days ago' '\(old.path)'", in: parent)
        #expect(touched.status == 0)
        let result = try export(into: parent)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("removed \(old.path)"), "\(result.stdout)")
        #expect(!Self.exists(old))
        #expect(Self.exists(fresh))
    }

    @Test func concurrentExportsIntoOneParentAllArrive() throws {
        let parent = try parent()
        defer { HostileFiles.removeTree(parent.path) }
        let names = (0..<4).map { "bundle-\($0)" }
        let started = try names.map { name in
            try CLI.start(
                [
                    "export", "--item", "EV-0001", "--out", parent.appendingPathComponent(name).path, "--log-key",
                    "op/keys/log.pem", "--ledger", "op/custody.ledger",
                ], in: try fixture.root)
        }
        for (process, out, err) in started {
            let result = CLI.finish(process, out, err)
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        }
        for name in names {
            let verify = try CLI.run(["verify-bundle", parent.appendingPathComponent(name).path], in: parent)
            #expect(verify.status == 0, "\(name): \(verify.stdout)")
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: parent.path).filter { $0.hasPrefix(".") }
        #expect(left.isEmpty, "\(left)")
    }
}
