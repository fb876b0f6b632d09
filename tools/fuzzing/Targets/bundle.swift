import CourtBundle
import Foundation
import LedgerCrypto

/// Fuzzes the court-bundle verifier (CourtBundle/BundleVerifier.swift) through its pure entry point.
///
/// The bag's files are given as bytes. Kept to this one thin file: the way bags are read from disk may change
/// that entry point.
///
/// The input is a text archive: each file starts with a line `@@@ PATH`, and its content runs to the next such
/// line (and the newline before that line is not part of it). When the archive has no `manifest-sha256.txt`, the harness writes both manifests and Payload-Oxum for
/// the files it has, so mutations get past the hash checks to the records, proofs, checkpoint and disclosure.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBundle(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var files = unpack(Harness.bytes(data, size))
    if files[BagIt.payloadManifest] == nil { seal(&files) }
    do { _ = try BundleVerifier.verify(files: files, options: .init()) } catch {
        // LEDGER_FUZZ_DEBUG=1 tools/fuzz bundle FILE shows how far an input gets.
        if getenv("LEDGER_FUZZ_DEBUG") != nil { print("bundle: \(error)") }
    }
    _ = try? BundleVerifier.verify(files: files, options: .init(trustedLogKey: Harness.logKey))
    return 0
}

private let marker = Array("@@@ ".utf8)

/// The files of an archive: a file's content is the lines between its `@@@ PATH` line and the next one.
private func unpack(_ input: [UInt8]) -> [String: [UInt8]] {
    var files: [String: [UInt8]] = [:]
    var path: String?
    var lines: [ArraySlice<UInt8>] = []
    func close() {
        if let path { files[path] = Array(lines.joined(separator: [0x0a])) }
    }
    for line in input.split(separator: 0x0a, omittingEmptySubsequences: false) {
        if line.starts(with: marker) {
            close()
            path = String(decoding: line.dropFirst(marker.count), as: UTF8.self)
            lines = []
        } else {
            lines.append(line)
        }
    }
    close()
    return files
}

/// Both manifests and Payload-Oxum, as an exporter would write them for these files.
private func seal(_ files: inout [String: [UInt8]]) {
    let payload = files.filter { $0.key.hasPrefix("data/") }
    files[BagIt.payloadManifest] = Array(
        BagIt.manifest(payload.map { (path: $0.key, sha256: SHA256.hash($0.value)) }).utf8)
    if let info = files["bag-info.txt"] {
        let oxum = BagIt.payloadOxum(sizes: payload.values.map(\.count))
        let lines = String(decoding: info, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        files["bag-info.txt"] = Array(
            lines.map { $0.hasPrefix("Payload-Oxum:") ? "Payload-Oxum: \(oxum)" : String($0) }
                .joined(separator: "\n").utf8)
    }
    let tags = files.filter { !$0.key.hasPrefix("data/") && $0.key != BagIt.tagManifest }
    files[BagIt.tagManifest] = Array(BagIt.manifest(tags.map { (path: $0.key, sha256: SHA256.hash($0.value)) }).utf8)
}
