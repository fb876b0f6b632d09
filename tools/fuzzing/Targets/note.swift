import LedgerCore
import LedgerCrypto

/// Fuzzes C2SP signed notes, checkpoints, vkeys and cosignatures (LedgerCore/Checkpoint).
///
/// The input is read as text the way the CLI reads a file (invalid UTF-8 replaced); each parser must throw,
/// never trap, and a checkpoint or vkey that parses is written back as the same text.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNote(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: Harness.bytes(data, size), as: UTF8.self)
    if let note = try? SignedNote(parsing: text) {
        _ = note.isSigned(by: Harness.logKey)
        _ = try? Cosignature.timestamp(of: Harness.witness, on: note)
        _ = try? Cosignature.checkQuorum(on: note, witnesses: [Harness.witness], quorum: 1)
    }
    if let checkpoint = try? Checkpoint(text: text) {
        Harness.require(
            (try? Checkpoint(text: checkpoint.text)) == checkpoint, "a checkpoint does not survive its own text")
    }
    _ = try? SignedCheckpoint(noteText: text)
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        if let key = try? NoteVerifierKey(vkey: String(line)) {
            Harness.require(key.vkey == line, "a vkey parses but is not written back the same")
        }
        if let key = try? CosignerKey(vkey: String(line)) {
            Harness.require(key.vkey == line, "a witness vkey parses but is not written back the same")
        }
    }
    return 0
}
