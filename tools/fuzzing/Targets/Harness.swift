// Shared by every fuzz target: compiled into each target's executable beside its own file.

import LedgerCore
import LedgerCrypto

/// What a fuzz target needs from its input and how it reports a broken invariant.
enum Harness {
    /// The input as bytes.
    static func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
        guard let data, size > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: size))
    }

    /// Stops the run with `message` when an invariant does not hold: libFuzzer records the input as a crash.
    static func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
        if !condition() { fatalError("fuzz invariant broken: \(message())") }
    }

    /// The log key of the cosignature vector (Tests/Vectors/cosignature.json): the corpus's cosigned checkpoint
    /// verifies with it, so the checks past a valid signature are reached too.
    static let logKey: NoteVerifierKey = {
        do {
            return try NoteVerifierKey(
                vkey: "ledger.vectors.example/cosignature+d6e2834e+ATaUYG/Lu+EC12/aXU4yDt0PEBYUb+qJ5AqbO5H/p++d")
        } catch { fatalError("fixture key: \(error)") }
    }()

    /// The witness of the same vector.
    static let witness: CosignerKey = {
        do {
            return try CosignerKey(
                vkey: "witness.vectors.example+5737d056+BA+C40+MHyT/GsotKTjPwRr/JJb4xYCFyEiUFVj7vN9Y")
        } catch { fatalError("fixture key: \(error)") }
    }()
}
