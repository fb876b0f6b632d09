import LedgerCore

/// Fuzzes the record and body readers (LedgerCore/Entry/Entry.swift).
///
/// The full check, the body-only parse, the replay decoder with its canonical fast path, and the byte-level body
/// facts: the body readers agree with each other, and whatever the full check accepts, the faster readers read
/// the same way.
///
/// (A v2 "statement" parser does not exist yet; it comes with format v2 and gets a target of its own then.)
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEntry(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let record = Harness.bytes(data, size)
    let body = try? EntryBody.parse(record: record)
    var decoder = EntryBodyDecoder()
    let decoded = try? decoder.body(of: record)
    Harness.require((body == nil) == (decoded == nil), "EntryBody.parse and EntryBodyDecoder disagree")
    if let body, let decoded {
        Harness.require(JCS.serialize(body.json) == JCS.serialize(decoded.json), "the decoder reads another body")
    }
    let facts = Entry.canonicalBodyFacts(record)
    guard let entry = try? Entry.parse(record: record) else { return 0 }
    Harness.require(body.map { JCS.serialize($0.json) } == JCS.serialize(entry.body.json), "body differs")
    Harness.require(decoded.map { JCS.serialize($0.json) } == JCS.serialize(entry.body.json), "decoded differs")
    Harness.require(facts?.bodyHash == entry.bodyHash, "canonicalBodyFacts finds another body hash")
    Harness.require(facts?.streamRev == entry.body.streamRev, "canonicalBodyFacts finds another stream_rev")
    Harness.require(Entry(body: entry.body, sigs: entry.sigs).record == record, "re-encoding differs")
    return 0
}
