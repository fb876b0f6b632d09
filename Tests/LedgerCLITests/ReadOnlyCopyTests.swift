import Foundation
import LedgerCrypto
import LedgerTestSupport
import Testing

/// An auditor's write-protected copy of a ledger (the file read-only, on a read-only medium or in a writable
/// folder) is read by a user who may not write it, and nothing is created or changed beside it.
@Suite(.serialized)
struct ReadOnlyCopyTests {
    let directory = TemporaryDirectory("ledger-read-only-copy")

    /// Runs `ledger arguments` in `folder` as a user who may not write there: `nobody` when the tests run as root.
    private func asAuditor(_ arguments: [String], in folder: String) throws -> CLI.Output {
        let ledger = directory.path("ledger")
        let command = ([ledger] + arguments).map { "'" + $0 + "'" }.joined(separator: " ")
        let line = "cd '\(folder)' && " + command
        if geteuid() == 0 {
            return try CLI.shell("su nobody -s /bin/sh -c \"\(line)\"", in: directory.url)
        }
        return try CLI.shell(line, in: directory.url)
    }

    private func listing(_ folder: String) throws -> [String: String] {
        var files: [String: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) {
            let bytes = FileManager.default.contents(atPath: folder + "/" + name) ?? Data()
            files[name] = Hex.encode(SHA256.hash(Array(bytes)))
        }
        return files
    }

    @Test(arguments: [true, false])
    func aWriteProtectedCopyIsReadAndNothingIsWrittenBesideIt(folderReadOnly: Bool) throws {
        for arguments in [
            ["init", "--origin", "ledger.test.example/copy"],
            [
                "append", "--type", "ledger.note", "--stream", "ledger", "--data", #"{"text":"x"}"#, "--key",
                "admin.pem",
            ],
            ["checkpoint", "--log-key", "log.pem"],
        ] {
            let result = try CLI.run(arguments, in: directory.url)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
        }
        // The executable and the copy where another user can reach them.
        // A hard link where it can be: a copy is open for writing while other tests start processes, which inherit
        // it, and running it then fails with ETXTBSY (exit 126).
        do { try FileManager.default.linkItem(atPath: CLI.executable.path, toPath: directory.path("ledger")) } catch {
            try FileManager.default.copyItem(atPath: CLI.executable.path, toPath: directory.path("ledger"))
        }
        let copy = directory.path("copy")
        try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: false)
        try FileManager.default.copyItem(atPath: directory.path("custody.ledger"), toPath: copy + "/custody.ledger")
        chmod(directory.url.path, 0o755)
        chmod(directory.path("ledger"), 0o755)
        chmod(copy + "/custody.ledger", 0o444)
        chmod(copy, folderReadOnly ? 0o555 : 0o777)
        defer { chmod(copy, 0o755) }
        let before = try listing(copy)
        for arguments in [["verify"], ["log"], ["key", "list"], ["items"], ["stats"], ["people"]] {
            let result = try asAuditor(arguments, in: copy)
            #expect(result.status == 0, "\(arguments): \(result.stdout) \(result.stderr)")
            #expect(try listing(copy) == before, "\(arguments) wrote beside the copy")
        }
        let verify = try asAuditor(["verify"], in: copy)
        #expect(verify.stdout.contains("OK: the ledger verifies"), "\(verify.stdout)")
        // Writing is refused with one line, and nothing changes.
        let append = try asAuditor(
            [
                "append", "--type", "ledger.note", "--stream", "ledger", "--data", #"{"text":"y"}"#, "--key",
                "../admin.pem",
            ], in: copy)
        #expect(append.status != 0)
        #expect(try listing(copy) == before)
    }
}
