import Foundation
import LedgerTestSupport
import Testing

/// The `ledger` executable, run the way a user runs it.
@Suite(.serialized)
struct EndToEndTests {
    let directory = TemporaryDirectory("ledger-e2e")

    private func ledger(_ arguments: String..., stdin: Data? = nil) throws -> CLI.Output {
        try CLI.run(arguments, in: directory.url, stdin: stdin)
    }

    /// `ledger append` of a ledger.note signed by admin.pem, with extra options.
    private func note(_ text: String, _ extra: String...) throws -> CLI.Output {
        try CLI.run(
            [
                "append", "--type", "ledger.note", "--stream", "ledger", "--data", "{\"text\":\"\(text)\"}", "--key",
                "admin.pem",
            ]
                + extra, in: directory.url)
    }

    private func initLedger() throws -> String {
        let result = try ledger(
            "init", "--origin", "ledger.test.example/e2e", "--name", "Ada Admin", "--person", "ada", "--agency", "NCA",
            "--json")
        #expect(result.status == 0, "\(result.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        return json?["log_vkey"] as? String ?? ""
    }

    @Test func readmeSession() throws {
        let vkey = try initLedger()
        let generate = try ledger(
            "key", "generate", "--out", "bob.pem", "--name", "Bob Custodian", "--person", "bob", "--agency", "BKA",
            "--request-out", "bob.request.json")
        #expect(generate.status == 0, "\(generate.stderr)")
        let register = try ledger(
            "key", "register", "bob.request.json", "--roles", "custodian", "--key", "admin.pem", "--json")
        #expect(register.status == 0, "\(register.stderr)")
        let keyID = try #require(
            (try JSONSerialization.jsonObject(with: Data(register.stdout.utf8)) as? [String: Any])?["key_id"] as? String
        )
        let append = try ledger(
            "append", "--type", "ledger.note", "--stream", "ledger", "--data", #"{"text":"shift handover"}"#, "--key",
            "admin.pem")
        #expect(append.status == 0, "\(append.stderr)")
        #expect(append.stdout.contains("seq 4"))
        let revoke = try ledger("key", "revoke", keyID, "--reason", "rotated", "--key", "bob.pem")
        #expect(revoke.status == 0, "\(revoke.stderr)")
        let checkpoint = try ledger("checkpoint", "--log-key", "log.pem", "--out", "checkpoint.txt")
        #expect(checkpoint.status == 0, "\(checkpoint.stderr)")
        #expect(checkpoint.stdout.hasPrefix("ledger.test.example/e2e\n5\n"))
        let verify = try ledger("verify", "--trust-log-key", vkey)
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        #expect(verify.stdout.contains("OK: the ledger verifies"))
        #expect(verify.stdout.contains("(pinned)"))

        let export = try ledger("log", "--format", "jsonl")
        #expect(export.status == 0)
        #expect(export.stdout.split(separator: "\n").count == 5)
        try Data(export.stdout.utf8).write(to: directory.url.appendingPathComponent("ledger.jsonl"))
        let verifyExport = try ledger("verify", "--jsonl", "ledger.jsonl", "--checkpoint", "checkpoint.txt", "--json")
        #expect(verifyExport.status == 0, "\(verifyExport.stdout)")
        let report = try JSONSerialization.jsonObject(with: Data(verifyExport.stdout.utf8)) as? [String: Any]
        #expect(report?["ok"] as? Bool == true)
        #expect(report?["entries"] as? Int == 5)

        // One changed byte in the export: exit 1, naming the seq.
        let changed = export.stdout.replacingOccurrences(of: "shift handover", with: "shift handoveR")
        try Data(changed.utf8).write(to: directory.url.appendingPathComponent("changed.jsonl"))
        let verifyChanged = try ledger("verify", "--jsonl", "changed.jsonl")
        #expect(verifyChanged.status == 1)
        #expect(verifyChanged.stdout.contains("seq 4:"))

        // One changed byte in the database with sqlite3: exit 1, naming the seq.
        let sqlite = try CLI.shell(
            "sqlite3 custody.ledger \"DROP TRIGGER entries_append_only_update; UPDATE entries SET record = replace(record, 'handover', 'handoveR') WHERE seq = 4\"",
            in: directory.url)
        #expect(sqlite.status == 0, "sqlite3 is needed for this test: \(sqlite.stderr)")
        let verifyTampered = try ledger("verify")
        #expect(verifyTampered.status == 1)
        #expect(verifyTampered.stdout.contains("seq 4:"))
    }

    @Test func exitStatusesAndOneLineErrors() throws {
        _ = try initLedger()
        let missing = try ledger("verify", "--ledger", "nope.ledger")
        #expect(missing.status == 2)
        #expect(missing.stderr.hasPrefix("error: no ledger at nope.ledger"))
        #expect(missing.stderr.split(separator: "\n").count == 1)

        let badJSON = try ledger(
            "append", "--type", "ledger.note", "--stream", "ledger", "--data", #"{"text":"a","text":"b"}"#, "--key",
            "admin.pem")
        #expect(badJSON.status == 2)
        #expect(badJSON.stderr.contains("duplicate member"))

        let badUsage = try ledger("append", "--type", "ledger.note")
        #expect(badUsage.status == 2)

        let id = "0b4e28ba-2fa1-41d2-883f-0016d3cca427"
        let first = try note("x", "--id", id)
        #expect(first.status == 0)
        let retry = try note("x", "--id", id)
        #expect(retry.status == 0)
        #expect(retry.stdout.contains("already recorded at seq 3"))
        let conflict = try note("y", "--id", id)
        #expect(conflict.status == 4)
        let stale = try note("z", "--expect-rev", "1")
        #expect(stale.status == 4)

        let help = try ledger("append", "--help")
        #expect(help.status == 0)
        #expect(help.stdout.contains("Examples:"))
        let count = try ledger("log", "--format", "jsonl")
        #expect(count.stdout.split(separator: "\n").count == 3)
    }

    @Test func batchLinesAreChecked() throws {
        _ = try initLedger()
        let line = #"{"type":"ledger.note","stream":"ledger","data":{"text":"x"},"expect_rev":"99"}"#
        try Data((line + "\n").utf8).write(to: directory.url.appendingPathComponent("bad.jsonl"))
        let result = try ledger("append", "--batch", "bad.jsonl", "--key", "admin.pem")
        #expect(result.status == 2)
        #expect(result.stderr.contains("expect_rev"))
        let unknown = #"{"type":"ledger.note","stream":"ledger","data":{"text":"x"},"bogus":1}"#
        try Data((unknown + "\n").utf8).write(to: directory.url.appendingPathComponent("bad2.jsonl"))
        #expect(try ledger("append", "--batch", "bad2.jsonl", "--key", "admin.pem").status == 2)
        #expect(try ledger("log", "--format", "jsonl").stdout.split(separator: "\n").count == 2)
    }

    @Test func overlongLineInAnExport() throws {
        _ = try initLedger()
        try Data([UInt8](repeating: 0x78, count: 200_000)).write(to: directory.url.appendingPathComponent("long.jsonl"))
        let result = try ledger("verify", "--jsonl", "long.jsonl")
        #expect(result.status == 1)
        #expect(result.stdout.contains("longer than the record limit"))
    }

    @Test func concurrentInitsLeaveOneLedger() throws {
        let starts = try (0..<4).map { index in
            try CLI.start(
                [
                    "init", "--origin", "ledger.test.example/race", "--admin-key", "a\(index).pem", "--log-key",
                    "l\(index).pem",
                ],
                in: directory.url)
        }
        var succeeded = 0
        for (process, out, err) in starts {
            _ = out.fileHandleForReading.readDataToEndOfFile()
            _ = err.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            if process.terminationStatus == 0 { succeeded += 1 }
        }
        #expect(succeeded == 1)
        #expect(try ledger("verify").status == 0)
    }

    @Test func findingsExitThree() throws {
        _ = try initLedger()
        _ = try ledger(
            "key", "generate", "--out", "eve.pem", "--name", "Eve", "--person", "eve", "--agency", "X", "--request-out",
            "eve.json")
        let register = try ledger(
            "key", "register", "eve.json", "--roles", "supervisor", "--key", "admin.pem", "--json")
        let keyID =
            (try JSONSerialization.jsonObject(with: Data(register.stdout.utf8)) as? [String: Any])?["key_id"] as? String
            ?? ""
        _ = try ledger(
            "append", "--type", "ledger.note", "--stream", "ledger", "--data", #"{"text":"by eve"}"#, "--key", "eve.pem"
        )
        let revoke = try ledger(
            "key", "revoke", keyID, "--reason", "stolen", "--compromised-since", "3", "--key", "admin.pem")
        #expect(revoke.status == 0, "\(revoke.stderr)")
        let verify = try ledger("verify")
        #expect(verify.status == 3, "\(verify.stdout)")
        #expect(verify.stdout.contains("seq 4: signed by key"))
    }
}

/// Several real processes at once, and processes killed in the middle of their work.
@Suite(.serialized)
struct ProcessSafetyTests {
    let directory = TemporaryDirectory("ledger-processes")

    private func setUp() throws {
        let result = try CLI.run(["init", "--origin", "ledger.test.example/processes"], in: directory.url)
        #expect(result.status == 0, "\(result.stderr)")
    }

    private func count() throws -> Int {
        try CLI.run(["log", "--format", "jsonl"], in: directory.url).stdout.split(separator: "\n").count
    }

    @Test func concurrentAppendersMakeOneLinearChain() throws {
        try setUp()
        let writers = 4
        let perWriter = 12
        var processes: [(Process, Pipe, Pipe)] = []
        for writer in 0..<writers {
            let script = (1...perWriter).map { index in
                "\"$LEDGER\" append --type ledger.note --stream ledger --data '{\"text\":\"w\(writer) n\(index)\"}' --key admin.pem >/dev/null || echo FAIL"
            }.joined(separator: "\n")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", script]
            process.currentDirectoryURL = directory.url
            process.environment = ProcessInfo.processInfo.environment.merging(["LEDGER": CLI.executable.path]) { $1 }
            let out = Pipe()
            let err = Pipe()
            process.standardOutput = out
            process.standardError = err
            try process.run()
            processes.append((process, out, err))
        }
        for (process, out, err) in processes {
            let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(!output.contains("FAIL"), "\(errors)")
        }
        #expect(try count() == 2 + writers * perWriter)
        let verify = try CLI.run(["verify"], in: directory.url)
        #expect(verify.status == 0, "\(verify.stdout)")
    }

    @Test func concurrentChunkedBatchesMakeOneLinearChain() throws {
        try setUp()
        // Two processes append 300 lines each in chunks of 20: each chunk decided ahead while the one before it
        // commits is decided again whenever the other process appended in between.
        var processes: [(Process, Pipe, Pipe)] = []
        for writer in 0..<2 { try writeNotes(300, to: "batch\(writer).jsonl", label: "writer \(writer) line") }
        for writer in 0..<2 {
            processes.append(
                try CLI.start(
                    ["append", "--batch", "batch\(writer).jsonl", "--chunk", "20", "--key", "admin.pem"],
                    in: directory.url))
        }
        for (process, out, err) in processes {
            let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "\(errors)")
            #expect(output.contains("appended 300 entries"), "\(output)")
        }
        #expect(try count() == 2 + 600)
        let verify = try CLI.run(["verify"], in: directory.url)
        #expect(verify.status == 0, "\(verify.stdout)")
        // A refused chunk is named; the chunks before it stay.
        try Data(
            [
                #"{"type":"ledger.note","stream":"ledger","data":{"text":"fine"}}"#,
                #"{"type":"ledger.note","stream":"ledger","data":{"text":"fine too"}}"#,
                #"{"type":"ledger.note","stream":"ledger","data":{"text":"late"},"expect_rev":1}"#,
            ].joined(separator: "\n").utf8
        ).write(to: directory.url.appendingPathComponent("refused.jsonl"))
        let refused = try CLI.run(
            ["append", "--batch", "refused.jsonl", "--chunk", "2", "--key", "admin.pem"], in: directory.url)
        #expect(refused.status == 4)
        #expect(refused.stderr.contains("chunk 2 (events 3–3): stream ledger is at revision 603"), "\(refused.stderr)")
        #expect(try count() == 2 + 600 + 2)
        let usage = try CLI.run(["append", "--chunk", "5", "--key", "admin.pem"], in: directory.url)
        #expect(usage.status != 0)
        #expect(usage.stderr.contains("--chunk needs --batch FILE"))
    }

    /// `ledger verify` reads the log, tree, checkpoints and projections as one snapshot: appends committed by other
    /// processes throughout never look like tampering, and each verify says the seq it verified to.
    @Test func verifyDuringLiveAppendsNeverReportsAFailure() throws {
        try setUp()
        let appender = Process()
        appender.executableURL = URL(fileURLWithPath: "/bin/sh")
        appender.arguments = [
            "-c",
            """
            while [ ! -e stop ]; do
              if "$LEDGER" append --type ledger.note --stream ledger --data '{"text":"live"}' --key admin.pem >/dev/null
              then echo x >> appended; else echo FAIL; fi
            done
            """,
        ]
        appender.currentDirectoryURL = directory.url
        appender.environment = ProcessInfo.processInfo.environment.merging(["LEDGER": CLI.executable.path]) { $1 }
        let out = Pipe()
        appender.standardOutput = out
        try appender.run()
        var verifiedTo: [Int64] = []
        let appendedPath = directory.url.appendingPathComponent("appended").path
        func appendsReported() -> Int {
            (try? String(contentsOfFile: appendedPath, encoding: .utf8))?.count { $0 == "\n" } ?? 0
        }
        var reportedBefore = 0
        for round in 1...25 {
            // Two more appends reported since the last verify ended: the second began after it, so this verify's
            // snapshot is a later one, however slow the machine is.
            let deadline = Date().addingTimeInterval(60)
            while round > 1, appendsReported() < reportedBefore + 2, Date() < deadline, appender.isRunning {
                Thread.sleep(forTimeInterval: 0.02)
            }
            if round > 1, appendsReported() < reportedBefore + 2 {
                Issue.record(
                    "round \(round): no new append within a minute (the appender is running: \(appender.isRunning))")
                break
            }
            let verify = try CLI.run(["verify", "--json"], in: directory.url)
            reportedBefore = appendsReported()
            #expect(verify.status == 0, "round \(round): \(verify.stdout) \(verify.stderr)")
            let report = try JSONSerialization.jsonObject(with: Data(verify.stdout.utf8)) as? [String: Any]
            if let seq = report?["verified_to_seq"] as? Int { verifiedTo.append(Int64(seq)) }
        }
        _ = FileManager.default.createFile(atPath: directory.url.appendingPathComponent("stop").path, contents: nil)
        let appended = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        appender.waitUntilExit()
        #expect(!appended.contains("FAIL"))
        #expect(verifiedTo.count == 25)
        // The appends really committed while the verifies ran.
        #expect(Set(verifiedTo).count > 5, "verified to \(verifiedTo)")
        let text = try CLI.run(["verify"], in: directory.url)
        #expect(text.stdout.contains("snapshot   seq 1…"), "\(text.stdout)")
    }

    /// Writes `count` notes, one per line, to the JSON Lines file `name`.
    private func writeNotes(_ count: Int, to name: String, label: String) throws {
        let lines = (1...count).map {
            #"{"type":"ledger.note","stream":"ledger","data":{"text":"\#(label) \#($0)"}}"#
        }
        try Data(lines.joined(separator: "\n").utf8).write(to: directory.url.appendingPathComponent(name))
    }

    /// Starts `ledger append --batch batch.jsonl` with `options` and kills it after each delay.
    ///
    /// `allowed` says which entry counts a kill may leave, given the count before; the ledger verifies after
    /// every kill.
    private func killAppends(options: [String], delays: [Double], allowed: (Int, Int) -> Bool) throws {
        var previous = 2
        for delay in delays {
            let (process, _, _) = try CLI.start(
                ["append", "--batch", "batch.jsonl", "--key", "admin.pem"] + options, in: directory.url)
            Thread.sleep(forTimeInterval: delay)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let now = try count()
            #expect(allowed(previous, now), "after a kill at \(delay)s: \(now) entries (\(previous) before)")
            previous = now
            let verify = try CLI.run(["verify"], in: directory.url)
            #expect(verify.status == 0, "\(verify.stdout)")
        }
    }

    @Test func killedBatchLeavesNothingPartial() throws {
        try setUp()
        try writeNotes(4000, to: "batch.jsonl", label: "entry of a large batch")
        try killAppends(options: [], delays: [0.05, 0.2, 0.4, 0.8, 1.5]) { before, after in
            after == before || after == before + 4000
        }
    }

    @Test func killedChunkedBatchLeavesWholeChunksOnly() throws {
        try setUp()
        try writeNotes(3000, to: "batch.jsonl", label: "entry of a chunked batch")
        // Each chunk is all or nothing: whole chunks of 250 after the entries already there.
        try killAppends(options: ["--chunk", "250"], delays: [0.1, 0.3, 0.6]) { before, after in
            after >= before && (after - before) % 250 == 0
        }
    }

    @Test func everyReportedAppendSurvivesAKill() throws {
        try setUp()
        let script = """
            i=0
            while [ $i -lt 400 ]; do
              i=$((i+1))
              id=$(printf '00000000-0000-4000-8000-%012d' $i)
              "$LEDGER" append --type ledger.note --stream ledger --data "{\\"text\\":\\"n$i\\"}" --key admin.pem --id $id >/dev/null && echo $id
            done
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        process.currentDirectoryURL = directory.url
        process.environment = ProcessInfo.processInfo.environment.merging(["LEDGER": CLI.executable.path]) { $1 }
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        // Once the first append is reported (however slow the machine; at most a minute), a little longer: then the
        // kill lands among appends, whatever their pace. The first line is read on a thread of its own, so that a
        // loop that never reports is killed all the same.
        final class FirstLine: @unchecked Sendable {
            // @unchecked: written by the reading thread before it signals `read`, and read only after that.
            var output = Data()
            let read = DispatchSemaphore(value: 0)
        }
        let first = FirstLine()
        let handle = out.fileHandleForReading
        Thread.detachNewThread {
            while !first.output.contains(UInt8(ascii: "\n")) {
                let chunk = handle.availableData
                if chunk.isEmpty { break }  // every writer gone
                first.output.append(chunk)
            }
            first.read.signal()
        }
        let reportedInTime = first.read.wait(timeout: .now() + 60) == .success
        Thread.sleep(forTimeInterval: 0.5)
        // Kill the loop and whatever append it is running, mid-transaction if it is in one.
        _ = try CLI.shell(
            "pkill -KILL -P \(process.processIdentifier); kill -KILL \(process.processIdentifier)", in: directory.url)
        process.waitUntilExit()
        // Every writer of the pipe is gone: the reading thread is done, or ends now at the end of the pipe.
        if !reportedInTime { first.read.wait() }
        let output = first.output + handle.readDataToEndOfFile()
        let reported = String(decoding: output, as: UTF8.self).split(separator: "\n").map(String.init)
        #expect(reportedInTime, "no append was reported within a minute")
        #expect(!reported.isEmpty)
        #expect(reported.count < 400, "the kill came after the whole loop")
        let log = try CLI.run(["log", "--format", "jsonl"], in: directory.url).stdout
        for id in reported { #expect(log.contains("\"id\":\"\(id)\""), "reported \(id) was lost") }
        let verify = try CLI.run(["verify"], in: directory.url)
        #expect(verify.status == 0, "\(verify.stdout)")
    }
}
