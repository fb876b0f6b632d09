import LedgerCore
import LedgerCrypto

/// Fuzzes the record and body readers (LedgerCore/Entry/Entry.swift, CanonicalRecord.swift).
///
/// The full check (its canonical reader against its full reader), the body-only parse, the replay decoder with its
/// canonical fast path, and the byte-level body facts: the body readers agree with each other, and whatever the
/// full check accepts, the faster readers read the same way.
///
/// Both formats: a version-2 record's facts name its statement hash as the stream link (the statement-file reader
/// has its own target, `statement`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEntry(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let record = Harness.bytes(data, size)
    let body = try? EntryBody.parse(record: record)
    var decoder = EntryBodyDecoder()
    let decoded = try? decoder.body(of: record)
    // A decoder that has read records shares their strings: it must read the same bodies after a seed record
    // and after this record itself.
    var used = EntryBodyDecoder()
    _ = try? used.body(of: EntryFixture.record)
    let afterSeed = try? used.body(of: record)
    let afterItself = try? used.body(of: record)
    for other in [afterSeed, afterItself] {
        Harness.require(other.map { JCS.serialize($0.json) } == decoded.map { JCS.serialize($0.json) }, "reuse")
    }
    Harness.require((body == nil) == (decoded == nil), "EntryBody.parse and EntryBodyDecoder disagree")
    if let body, let decoded {
        Harness.require(JCS.serialize(body.json) == JCS.serialize(decoded.json), "the decoder reads another body")
    }
    // The canonical reader accepts exactly what the full reader accepts, and reads it the same way.
    let fast = Entry.parseCanonical(record)
    let full = try? Entry.parseInFull(record: record)
    Harness.require((fast == nil) == (full == nil), "Entry.parseCanonical and Entry.parseInFull disagree")
    if let fast, let full {
        Harness.require(JCS.serialize(fast.body.json) == JCS.serialize(full.body.json), "canonical reader's body")
        Harness.require(fast.bodyHash == full.bodyHash, "canonical reader's body hash")
        Harness.require(fast.statementHash == full.statementHash, "canonical reader's statement hash")
        Harness.require(fast.sigs.map(\.json) == full.sigs.map(\.json), "canonical reader's sigs")
        Harness.require(fast.withSignatures(fast.sigs).record == record, "canonical reader's sigs length")
    }
    let facts = Entry.canonicalBodyFacts(record)
    guard let entry = try? Entry.parse(record: record) else { return 0 }
    Harness.require(body.map { JCS.serialize($0.json) } == JCS.serialize(entry.body.json), "body differs")
    Harness.require(decoded.map { JCS.serialize($0.json) } == JCS.serialize(entry.body.json), "decoded differs")
    Harness.require(facts?.bodyHash == entry.bodyHash, "canonicalBodyFacts finds another body hash")
    Harness.require(facts?.streamRev == entry.body.streamRev, "canonicalBodyFacts finds another stream_rev")
    Harness.require(facts?.time == entry.body.time, "canonicalBodyFacts finds another time")
    Harness.require(
        facts.map { Hex.encode($0.link) } == entry.streamLinkHex, "canonicalBodyFacts finds another stream link")
    Harness.require(Entry(body: entry.body, sigs: entry.sigs).record == record, "re-encoding differs")
    return 0
}

/// A body in canonical layout (sigs are not the decoder's business) for a decoder to read first.
enum EntryFixture {
    static let record = Array(
        (#"{"body":{"actor":"8f0c0f5e2f6a1d0c63fae2d8b3c1bc5d0a4b2e4a5f1fc2d1c6e8f7a9b0c1d2e3","data""#
            + #":{"text":"n"},"id":"5b0d7e4c-1f2a-4b3c-8d4e-5f6a7b8c9d0e","ledger":"ledger.example.org/op-"#
            + #"fuzz","prev":"0000000000000000000000000000000000000000000000000000000000000000","seq":5,"s"#
            + #"tream":"ledger","stream_prev":"00000000000000000000000000000000000000000000000000000000000"#
            + #"00000","stream_rev":1,"time":"2026-12-06T00:17:00.000Z","type":"ledger.note","v":1},"sigs""#
            + #":[]}"#).utf8)
}
