import CustodyDomain
import Foundation
import LedgerApp
import LedgerConcurrency
import LedgerCore
import LedgerCrypto
import LedgerStores

// The format-version-2 benchmark (docs/FORMAT.md §12): people sign statements, the ledger sequences them.
// `ledger-bench --v2` measures the two in-process write paths; tools/bench runs the `ledger` executable for the rest
// (target import, verify, rebuild) and the eventsourcing peer, and compares each with a limit of the same run.

/// A new version-2 ledger with an open case and an officer allowed to identify its targets.
struct StatementLedger {
    let path: String
    let store: any LedgerStore
    let officer: Ed25519PrivateKey
    let caseID = "OP-BENCH-V2"

    /// Creates the ledger at `directory/name.ledger`: `ledger init`, the officer's own key and request, the admin's
    /// registration of it (case-officer), and the case, as a user's first commands would.
    init(directory: String, name: String) throws {
        path = directory + "/\(name).ledger"
        let origin = "bench.example/\(name)"
        let setup = try LedgerSetup.initialize(
            at: LedgerLocation(path, stores: StandardStores()), origin: origin,
            admin: Identity(name: "Bench Admin", person: "bench", agency: "Bench"),
            adminKeyPath: directory + "/\(name)-admin.pem", logKeyPath: directory + "/\(name)-log.pem",
            passphrase: nil)
        store = try LedgerLocation(path, stores: StandardStores()).open()
        let admin = try KeyFiles.load(setup.adminKeyPath, passphrase: nil)
        let officerPath = directory + "/\(name)-officer.pem"
        let (_, request) = try KeyManagement.generate(
            keyPath: officerPath, passphrase: nil,
            identity: Identity(name: "Bench Officer", person: "officer", agency: "Bench"), origin: origin)
        _ = try KeyManagement.register(
            requestText: Array(request.utf8), roles: [Roles.caseOfficer], admin: admin, store: store)
        officer = try KeyFiles.load(officerPath, passphrase: nil)
        _ = try Appender.append(
            [
                EventDraft(
                    type: CustodyEvents.caseOpened, stream: "case/" + caseID,
                    data: [
                        "title": "Benchmark case", "legal_basis": "Benchmark (fictitious)",
                        "agencies": ["Bench"], "summary": "Targets identified by the v2 benchmark.",
                    ], signer: officer)
            ], to: store)
    }

    /// `count` distinct targets of the case, as `ledger target import` reads them from a CSV file: IPv4 addresses
    /// from 198.18.0.0/15 (RFC 2544), then IPv6 from 2001:db8::/32 (RFC 3849).
    func rows(_ count: Int) throws -> [TargetRow] {
        var csv = "kind,value,category,country,hosting_provider,asn\n"
        let categories = ["phishing", "ransomware", "infostealer"]
        for index in 0..<count {
            let value: String
            if index < 131_072 {
                let address = 0xC612_0000 + UInt32(index)
                value = "\(address >> 24).\((address >> 16) & 255).\((address >> 8) & 255).\(address & 255)"
            } else {
                value = "2001:db8:\(String(index / 65_536, radix: 16)):\(String(index % 65_536, radix: 16))::1"
            }
            csv += "ip,\(value),\(categories[index % 3]),NL,Hoster \(index % 5) (fictitious),\(64_496 + index % 15)\n"
        }
        return try TargetImport.parse(csv: Array(csv.utf8), defaultSource: "Benchmark feed (fictitious)")
    }
}

/// Ed25519 over all cores through LedgerCrypto in this process (one context per worker, nothing else): the wrapper's
/// own limit, beside `openssl speed`'s.
func wrapperRates(key: Ed25519PrivateKey, count: Int) -> (sign: Double, verify: Double) {
    let messages = (0..<count).map {
        Array("custody-ledger/v1 entry\n\(String(repeating: "5a", count: 32))\n\($0)".utf8)
    }
    let cores = ProcessInfo.processInfo.activeProcessorCount
    let signatures = SlotBuffer<[UInt8]>(repeating: [], count: count)
    let signStart = ContinuousClock.now
    DispatchQueue.concurrentPerform(iterations: cores) { worker in
        let signer = Ed25519Signer(key: key)
        for index in stride(from: worker, to: count, by: cores) {
            signatures[index] = signer.sign(messages[index])
        }
    }
    let signRate = Double(count) / seconds(ContinuousClock.now - signStart)
    let verifyStart = ContinuousClock.now
    DispatchQueue.concurrentPerform(iterations: cores) { worker in
        let verifier = Ed25519Verifier(key: key.publicKey)
        for index in stride(from: worker, to: count, by: cores) {
            precondition(verifier.verify(signature: signatures[index], message: messages[index]))
        }
    }
    return (signRate, Double(count) / seconds(ContinuousClock.now - verifyStart))
}

/// CPU seconds used so far: by the whole process (every thread), or by the calling thread alone.
func cpuSeconds(thread: Bool = false) -> Double {
    var time = timespec()
    clock_gettime(thread ? CLOCK_THREAD_CPUTIME_ID : CLOCK_PROCESS_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// Prints what a write path cost in CPU, from the process's and the calling thread's CPU seconds at its start: the
/// calling thread is the sequencer (it places, checks, inserts and commits in order), the others sign or verify.
func printCPU(_ name: String, since start: (process: Double, thread: Double), entries: Int) {
    let process = cpuSeconds() - start.process
    let thread = cpuSeconds(thread: true) - start.thread
    print(String(format: "\(name)_cpu_us_per_entry %.1f", process * 1e6 / Double(entries)))
    print(String(format: "\(name)_sequencer_cpu_us_per_entry %.1f", thread * 1e6 / Double(entries)))
}

/// Measures the two version-2 write paths in one process, each on a new ledger.
///
/// Each writes `options.entries` `target.identified` statements (one new stream each, as `ledger target import`
/// writes them):
/// 1. `Appender.append(batches:)`, batches of `options.batch`: decide, sign on all cores, insert, one checkpoint per
///    batch, as the domain commands record.
/// 2. `StatementSigning.sign` of every statement (on all cores, one statement per call), then one `Sequencer.submit`
///    of them all; the submit is also timed alone, which is the sequencing of statements signed beforehand.
func runStatements(_ options: Options) throws {
    let directory =
        options.directory
        ?? FileManager.default.temporaryDirectory.appendingPathComponent("ledger-bench-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { if options.directory == nil { try? FileManager.default.removeItem(atPath: directory) } }
    let count = options.entries

    let appendLedger = try StatementLedger(directory: directory, name: "append")
    let probe = wrapperRates(key: appendLedger.officer, count: 20_000)
    print(String(format: "in_process_sign_per_s %.0f", probe.sign))
    print(String(format: "in_process_verify_per_s %.0f", probe.verify))

    // 1a. The one-step path.
    let appendRows = try appendLedger.rows(count)
    let drafts = TargetImport.drafts(appendRows, caseID: appendLedger.caseID, signer: appendLedger.officer)
    let batches = stride(from: 0, to: drafts.count, by: options.batch).lazy.map {
        Array(drafts[$0..<min($0 + options.batch, drafts.count)])
    }
    let timings = AppendTimings()
    let appendCPU = (cpuSeconds(), cpuSeconds(thread: true))
    let appendStart = ContinuousClock.now
    _ = try Appender.append(batches: batches, to: appendLedger.store, timings: timings)
    let appendSeconds = seconds(ContinuousClock.now - appendStart)
    printCPU("v2_append", since: appendCPU, entries: count)
    print(
        "v2 Appender.append: \(count) target.identified statements in batches of \(options.batch), each batch its own"
            + " transaction and checkpoint")
    print(String(format: "v2_append_entries_per_s %.0f", Double(count) / appendSeconds))
    let total = seconds(timings.total)
    func share(_ duration: Duration) -> String { String(format: "%5.1f%%", 100 * seconds(duration) / max(total, 1e-9)) }
    print(String(format: "  where the time went (%.2f s in transactions):", total))
    print("  decide (rules, custody fold, bodies, hashes)          \(share(timings.decide))")
    print("  waiting for signatures (workers sign while deciding)  \(share(timings.sign))")
    print("  insert (Merkle, SQLite rows, projections, checkpoint)  \(share(timings.insert))")
    let commit = timings.total - timings.decide - timings.sign - timings.insert
    print("  begin + commit (fsync), next batch's drafts            \(share(commit))")

    // 1b and 2. Sign every statement, then sequence them in one submit.
    let submitLedger = try StatementLedger(directory: directory, name: "submit")
    let rows = try submitLedger.rows(count)
    let caseID = submitLedger.caseID
    let officer = submitLedger.officer
    let template = try StreamPosition.of("case/" + caseID, in: submitLedger.store)
    let positions = rows.map { row in
        StreamPosition(
            ledger: template.ledger, genesis: template.genesis,
            stream: "target/" + CustodyQueries.targetID(caseID: caseID, kind: row.kind, value: row.value), rev: 0,
            prev: EntryBody.zeroHash)
    }
    let signStart = ContinuousClock.now
    let signed = Parallel.map(Partition(items: count, chunkSize: 256)) { index in
        Result { () throws(LedgerError) -> SignedStatement in
            try StatementSigning.sign(
                at: positions[index], type: CustodyEvents.targetIdentified, data: rows[index].data(caseID: caseID),
                signer: officer)
        }
    }
    let signSeconds = seconds(ContinuousClock.now - signStart)
    let statements = try signed.map { try $0.get() }
    let submitCPU = (cpuSeconds(), cpuSeconds(thread: true))
    let submitStart = ContinuousClock.now
    let outcomes = try Sequencer.submit(statements, to: submitLedger.store)
    let submitSeconds = seconds(ContinuousClock.now - submitStart)
    printCPU("v2_submit", since: submitCPU, entries: count)
    for outcome in outcomes {
        guard case .recorded = outcome.status else {
            throw LedgerError.integrity("statement \(outcome.id) was not recorded: \(outcome.status)")
        }
    }
    print(
        "v2 StatementSigning.sign of \(count) statements (all cores, one call each), then one Sequencer.submit of them")
    print(String(format: "v2_sign_seconds %.3f", signSeconds))
    print(String(format: "v2_submit_seconds %.3f", submitSeconds))
    print(String(format: "v2_sign_submit_entries_per_s %.0f", Double(count) / (signSeconds + submitSeconds)))
    print(String(format: "v2_submit_entries_per_s %.0f", Double(count) / submitSeconds))
    // The submit checks every signature on all cores before it places any statement; at this process's own verify
    // rate that part alone takes about this long. The rest is sequential: placing, inserting, committing.
    print(
        String(
            format: "  of the submit, checking the %d signatures on all cores is about %.2f s (at the in-process rate)",
            count, Double(count) / probe.verify))

    // Both ledgers must verify, or the figures mean nothing.
    for ledger in [appendLedger, submitLedger] {
        let report = try VerifyRunner.verify(store: ledger.store, options: VerifyOptions(), source: ledger.path)
        guard report.exitStatus == 0 else {
            throw LedgerError.integrity("\(ledger.path) does not verify: \(report.failure?.description ?? "?")")
        }
    }
}

/// What `ledger verify` checks signatures of in the ledger at `path`: every entry's signatures (actor and
/// co-signers) and every stored checkpoint's log-key signature.
func countSignatures(path: String) throws {
    let store = try LedgerLocation(path, stores: StandardStores()).openForReading()
    var entries: Int64 = 0
    var signatures = 0
    try store.read { reader in
        try reader.forEachRecord(RecordFilter(withStoredState: false)) { stored in
            entries += 1
            signatures += try Entry.parse(record: stored.record).sigs.count
            return true
        }
    }
    print("entries \(entries)")
    print("entry_signatures \(signatures)")
}
