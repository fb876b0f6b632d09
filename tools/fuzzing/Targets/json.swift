import LedgerCore

/// Fuzzes the strict JSON parser (LedgerCore/JSON/JSONParser.swift) under both profiles.
///
/// It must throw, never trap, and the ledger profile may only accept what the general profile accepts, as the
/// same value.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = Harness.bytes(data, size)
    let general = try? JSONParser.parse(input, profile: .general)
    if let strict = try? JSONParser.parse(input, profile: .ledgerV1) {
        Harness.require(general == strict, "the v1 profile accepted what the general profile parses otherwise")
    }
    return 0
}
