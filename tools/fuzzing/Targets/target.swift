import CustodyDomain

/// Fuzzes the target value normalizers behind CSV import and `ledger target` (CustodyDomain/TargetValue.swift).
///
/// The input is one value, tried as each kind. Normalizing is idempotent: two spellings of one target normalize
/// to the same bytes, and a normalized value is a spelling of its target, so it normalizes to itself.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTarget(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let value = String(decoding: Harness.bytes(data, size), as: UTF8.self)
    for kind in TargetKind.allCases {
        guard let normal = try? TargetValue.normalize(value, kind: kind) else { continue }
        let again = try? TargetValue.normalize(normal, kind: kind)
        Harness.require(
            again == normal,
            "\(kind) \(value.debugDescription) → \(normal.debugDescription) → \(again.debugDescription)")
    }
    return 0
}
