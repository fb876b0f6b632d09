import LedgerCore
import LedgerCrypto

/// Fuzzes the statement-file line reader (LedgerCore/Entry/SignedStatement.swift, FORMAT.md §12.9).
///
/// Whatever it accepts re-encodes to the same bytes, its statement hash is SHA-256 of the statement's JCS, and the
/// entry the ledger would make of it parses back with that statement hash (unless it grows over the record limit).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzStatement(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let line = Harness.bytes(data, size)
    guard let statement = try? SignedStatement(line: line) else { return 0 }
    Harness.require(statement.line == line, "a statement line re-encodes to other bytes")
    Harness.require(
        statement.statementHash == SHA256.hash(JCS.serialize(statement.body.statementJSON)),
        "the statement hash is not over the statement's JCS")
    let seq: Int64 = statement.body.genesis == nil ? 1 : 5
    let entry = statement.entry(seq: seq, prev: EntryBody.zeroHash, time: statement.body.signedAt)
    if let parsed = try? Entry.parse(record: entry.record) {
        Harness.require(parsed.statementHash == statement.statementHash, "the placed entry has another statement hash")
        Harness.require(parsed.record == entry.record, "the placed entry re-encodes to other bytes")
    } else {
        Harness.require(entry.record.count > Entry.maxStatementRecordBytes, "the placed entry does not parse")
    }
    return 0
}
