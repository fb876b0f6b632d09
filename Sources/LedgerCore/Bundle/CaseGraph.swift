import LedgerCrypto

/// The bundle's CASE/UCO JSON-LD graph (FORMAT.md §11.7).
public enum CaseGraph {
    /// The graph, as UTF-8 bytes.
    public static func render(_ ledger: DisclosedLedger, custody: DisclosedCustody) -> [UInt8] {
        Array("{}\n".utf8)
    }
}
