import CourtBundle
import CustodyDomain
import Foundation
import LedgerApp
import LedgerCore
import LedgerCrypto
import LedgerStores

// The scale benchmark's steps in process (tools/bench-scale runs them, and `ledger verify` as a process for its peak
// memory, on a PostgreSQL ledger made by `ledger demo`): growing the ledger with `ledger.note` entries, and timing
// what must not depend on its size.

/// `--scale-grow LEDGER --to N --key PEM --log-key PEM`: appends `ledger.note` entries to the `ledger` stream in
/// commit groups of 20,000 until the ledger holds N entries, printing progress to standard error.
func runScaleGrow(_ arguments: [String: String]) throws {
    guard let location = arguments["--scale-grow"], let target = arguments["--to"].flatMap(Int.init),
        let keyPath = arguments["--key"], let logKeyPath = arguments["--log-key"]
    else { throw LedgerError.usage("usage: ledger-bench --scale-grow LEDGER --to N --key PEM --log-key PEM") }
    let store = try LedgerLocation(location, stores: StandardStores()).open()
    let start = ContinuousClock.now
    let before = try store.read { try $0.entryCount() }
    try growLedger(
        store, to: target, signer: try KeyFiles.load(keyPath, passphrase: nil),
        logKey: try KeyFiles.load(logKeyPath, passphrase: nil)
    ) { count in
        let rate = Double(count - Int(before)) / max(seconds(ContinuousClock.now - start), 0.001)
        FileHandle.standardError.write(Data(String(format: "   %d entries (%.0f/s)\n", count, rate).utf8))
    }
    let added = try store.read { try $0.entryCount() } - before
    print(
        String(
            format: "grow_entries_per_s %.0f (%lld added)", Double(added) / seconds(ContinuousClock.now - start), added)
    )
}

/// `--scale-measure LEDGER --item ID --log-key PEM --dir DIR`: the median time of an inclusion proof for a random
/// entry, of `ledger item history`'s read of one item, and of one item's court-export bundle.
func runScaleMeasure(_ arguments: [String: String]) throws {
    guard let location = arguments["--scale-measure"], let item = arguments["--item"],
        let logKeyPath = arguments["--log-key"], let directory = arguments["--dir"]
    else { throw LedgerError.usage("usage: ledger-bench --scale-measure LEDGER --item ID --log-key PEM --dir DIR") }
    let store = try LedgerLocation(location, stores: StandardStores()).openForReading()
    let logKey = try KeyFiles.load(logKeyPath, passphrase: nil)
    let size = try store.read { try $0.entryCount() }
    func median(_ rounds: Int, _ body: (Int) throws -> Void) rethrows -> Double {
        var times: [Double] = []
        for round in 0..<rounds {
            let start = ContinuousClock.now
            try body(round)
            times.append(seconds(ContinuousClock.now - start))
        }
        return times.sorted()[times.count / 2]
    }
    var generator = SystemRandomNumberGenerator()
    let proof = try median(201) { _ in
        _ = try ProofBuilder.inclusion(seq: Int64.random(in: 1...size, using: &generator), size: nil, in: store)
    }
    let history = try median(201) { _ in
        guard try CustodyForm.load(item, in: store) != nil else { throw LedgerError.usage("no item \(item)") }
    }
    var disclosed = 0
    let export = try median(7) { round in
        let out = directory + "/bundle-\(size)-\(round)"
        disclosed = try Exporter.export(
            store: store, logKey: logKey, options: ExportOptions(selection: .itemSelection([item]), out: out)
        ).entries
        try FileManager.default.removeItem(atPath: out)
    }
    print("entries \(size)")
    print(String(format: "inclusion_proof_ms %.3f", proof * 1e3))
    print(String(format: "item_history_ms %.3f", history * 1e3))
    print(String(format: "export_item_ms %.1f (%d entries disclosed)", export * 1e3, disclosed))
}
