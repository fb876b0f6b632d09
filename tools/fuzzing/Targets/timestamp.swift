import Foundation
import LedgerCrypto

/// Fuzzes the RFC 3161 response reader (LedgerCrypto/Timestamp.swift) with a DER TimeStampResp.
///
/// It is checked against the test TSA's CA in the corpus (tools/fuzz passes it in LEDGER_FUZZ_TSA_CA) for the
/// digest of "custody-ledger fuzz\n", the digest the corpus's responses are for.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTimestamp(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let response = Harness.bytes(data, size)
    _ = try? RFC3161.verify(response: response, sha256: TimestampFixture.digest, caFile: TimestampFixture.caFile)
    return 0
}

enum TimestampFixture {
    static let digest = SHA256.hash(Array("custody-ledger fuzz\n".utf8))
    static let caFile: String = {
        guard let path = getenv("LEDGER_FUZZ_TSA_CA") else { fatalError("set LEDGER_FUZZ_TSA_CA to a CA file") }
        return String(cString: path)
    }()
}
