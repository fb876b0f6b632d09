import LedgerCore

/// Fuzzes RFC 8785 canonicalization (LedgerCore/JSON/JCS.swift).
///
/// For any text the general profile accepts, canonicalizing is a fixed point: parse → canonicalize → parse gives
/// the same value, and canonicalizing that gives the same bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJCS(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = Harness.bytes(data, size)
    guard let value = try? JSONParser.parse(input, profile: .general) else { return 0 }
    let canonical = JCS.serialize(value)
    let again: JSONValue
    do { again = try JSONParser.parse(canonical, profile: .general) } catch {
        Harness.require(false, "the canonical form does not parse: \(error)")
        return 0
    }
    Harness.require(JCS.serialize(again) == canonical, "canonicalizing is not a fixed point")
    Harness.require(sameMembers(value, again), "the canonical form parses to a different value")
    return 0
}

/// Equal up to member order (JCS sorts members), with -0 and 0 alike (JCS writes both as 0).
private func sameMembers(_ a: JSONValue, _ b: JSONValue) -> Bool {
    switch (a, b) {
    case (.object(let x), .object(let y)):
        guard x.count == y.count else { return false }
        return x.allSatisfy { member in
            y.contains { $0.name.utf8.elementsEqual(member.name.utf8) && sameMembers(member.value, $0.value) }
        }
    case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy(sameMembers)
    case (.double(let x), .double(let y)): return x == y
    case (.double(let x), .integer(let y)), (.integer(let y), .double(let x)): return x == Double(y)
    default: return a == b
    }
}
