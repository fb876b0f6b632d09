import CourtBundle
import Foundation
import LedgerCore
import LedgerCrypto

/// What `ledger verify-bundle` found.
public struct BundleReport: Sendable {
    /// The bag's folder, as given.
    public let directory: String
    /// The result of a bundle that verified, or nil.
    public let result: BundleVerifier.Result?
    /// The first rule the bundle breaks, or nil.
    public let failure: VerificationFailure?
    /// The checked RFC 3161 time stamp, when the bag has one and a CA was given.
    public let timestamp: TimestampInfo?

    /// 0 valid; 1 integrity failure; 3 valid but with custody findings.
    public var exitStatus: Int32 {
        if failure != nil { return 1 }
        return result?.findings.isEmpty == false ? 3 : 0
    }
}

/// Reads a bag from disk and checks it (FORMAT.md §11).
public enum BundleChecker {
    /// Reads the bag in `directory` (``BagReader``) and verifies it; with `tsaCAFile`, also its RFC 3161 time stamp.
    ///
    /// A bag that breaks a rule is a report with a ``BundleReport/failure``, not an error; throws only when
    /// `directory` is not a folder or cannot be read (``LedgerError/Code/usage``, exit 2).
    public static func check(directory: String, options: BundleVerifier.Options, tsaCAFile: String?) throws
        -> BundleReport
    {
        let bag: BagContents
        do { bag = try BagReader.read(directory, progress: options.progress) } catch let failure
            as DirectoryWalk.Failure
        {
            throw LedgerError.usage("cannot read the bundle: \(failure)")
        }
        let files = bag.contents
        do {
            let result = try BundleVerifier.verify(bag: bag, options: options)
            var timestamp: TimestampInfo?
            if tsaCAFile != nil && files[BundleLayout.timestamp] == nil {
                throw VerificationFailure(
                    seq: nil, rule: .timestamps, message: "--tsa-ca was given, but the bundle has no time stamp")
            }
            if let response = files[BundleLayout.timestamp], let tsaCAFile {
                let digest = SHA256.hash(Array(result.ledger.checkpoint.note.text.utf8))
                do { timestamp = try RFC3161.verify(response: response, sha256: digest, caFile: tsaCAFile) } catch {
                    throw VerificationFailure(
                        seq: nil, rule: .timestamps, message: "data/ledger/checkpoint.tsr does not verify: \(error)")
                }
            }
            return BundleReport(directory: directory, result: result, failure: nil, timestamp: timestamp)
        } catch let failure as VerificationFailure {
            return BundleReport(directory: directory, result: nil, failure: failure, timestamp: nil)
        }
    }
}
