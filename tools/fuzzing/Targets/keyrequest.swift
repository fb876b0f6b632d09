import LedgerCore
import LedgerCrypto

/// Fuzzes the key registration-request reader, `KeyRequest.parseSigned` (LedgerCore/Rules/Keys.swift).
///
/// `ledger key register` (LedgerApp/Keys/KeyManagement.swift) hands it the request file. An accepted request's
/// key id is that of its public key, and its signature verifies.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzKeyRequest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = Harness.bytes(data, size)
    guard let (request, publicKey, signature) = try? KeyRequest.parseSigned(input) else { return 0 }
    Harness.require(request.keyID == KeyID.of(publicKey), "the request's key id is not its key's")
    Harness.require(publicKey.verify(signature: signature, message: request.message), "an accepted request's sig")
    return 0
}
