@testable import LedgerApp

/// Fuzzes CSV target import (LedgerApp/Custody/TargetImport.swift).
///
/// The RFC 4180 reader and the row checks, with and without a default source; every accepted row makes its
/// `target.identified` data.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = Harness.bytes(data, size)
    _ = try? CSV.parse(input)
    _ = try? TargetImport.parse(csv: input, defaultSource: nil)
    guard let rows = try? TargetImport.parse(csv: input, defaultSource: "fuzz") else { return 0 }
    for row in rows {
        _ = row.data(caseID: "CASE-1")
    }
    return 0
}
