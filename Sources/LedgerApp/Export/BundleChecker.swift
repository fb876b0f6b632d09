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
    /// Reads every file of the bag in `directory` and verifies it; with `tsaCAFile`, also its RFC 3161 time stamp.
    ///
    /// A bag that breaks a rule is a report with a ``BundleReport/failure``, not an error; throws only when
    /// `directory` is not a folder or cannot be read.
    public static func check(directory: String, options: BundleVerifier.Options, tsaCAFile: String?) throws
        -> BundleReport
    {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw LedgerError.usage("\(directory) is not a folder")
        }
        let files: [String: [UInt8]]
        do { files = try readFiles(directory) } catch let failure as VerificationFailure {
            return BundleReport(directory: directory, result: nil, failure: failure, timestamp: nil)
        }
        do {
            let result = try BundleVerifier.verify(files: files, options: options)
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

    /// Every regular file under `directory`, by its path relative to it; anything else is a failure.
    static func readFiles(_ directory: String) throws -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        let manager = FileManager.default
        guard let walker = manager.enumerator(atPath: directory) else {
            throw LedgerError.usage("cannot read \(directory)")
        }
        while let relative = walker.nextObject() as? String {
            let path = directory + "/" + relative
            let attributes = try manager.attributesOfItem(atPath: path)
            switch attributes[.type] as? FileAttributeType {
            case .typeDirectory?: continue
            case .typeRegular?:
                guard let data = manager.contents(atPath: path) else { throw LedgerError.usage("cannot read \(path)") }
                files[relative] = Array(data)
            default:
                throw VerificationFailure(
                    seq: nil, rule: .bag, message: "\(relative) is not a regular file (a link or a device)")
            }
        }
        return files
    }
}
