import LedgerCore

/// Fuzzes C2SP tlog-proof text (LedgerCore/Merkle/MerkleProof.swift).
///
/// The strict parser, then the Merkle checks with whatever index, tree size and hashes the text claims. A proof
/// that parses is written back to text that parses to the same proof.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTlogProof(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: Harness.bytes(data, size), as: UTF8.self)
    guard let proof = try? TlogProof(text: text) else { return 0 }
    let again = try? TlogProof(text: proof.text)
    Harness.require(again?.text == proof.text, "a proof's text does not parse back to the same proof")
    // The Merkle checks with whatever index, size and hashes the text claims (the signature check that guards
    // them in `verify` would stop a mutated proof first).
    let checkpoint = proof.checkpoint.checkpoint
    for leaf in [Merkle.leafHash([]), checkpoint.root] {
        _ = MerkleProof.verifyInclusion(
            index: proof.index, size: checkpoint.size, leafHash: leaf, proof: proof.hashes, root: checkpoint.root)
    }
    _ = MerkleProof.verifyConsistency(
        old: proof.index, new: checkpoint.size, oldRoot: checkpoint.root, newRoot: checkpoint.root,
        proof: proof.hashes)
    _ = try? proof.verify(record: [], logKey: Harness.logKey)
    return 0
}
