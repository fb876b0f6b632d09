import Foundation
import LedgerCrypto
import LedgerTestSupport
import Testing

/// RFC 3161 through OpenSSL's TS API, against a throwaway TSA made with the openssl command line
/// (tools/tsa/make-test-tsa.sh).
@Suite(.serialized)
struct TimestampTests {
    let directory = TemporaryDirectory("ledger-tsa")
    var script: String { Repository.root.appendingPathComponent("tools/tsa/make-test-tsa.sh").path }

    /// Asks the test TSA to time-stamp `digest`; returns the DER response.
    private func stamp(_ digest: [UInt8], tsa: String, name: String) throws -> [UInt8] {
        let query = directory.path("\(name).tsq")
        let reply = directory.path("\(name).tsr")
        try Data(try RFC3161.request(sha256: digest)).write(to: URL(fileURLWithPath: query))
        let answer = try CLI.shell("'\(script)' reply '\(tsa)' '\(query)' '\(reply)'", in: directory.url)
        #expect(answer.status == 0, "\(answer.stderr)")
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: reply)))
    }

    @Test func aTimestampVerifiesForItsDigestOnly() throws {
        let tsa = directory.path("tsa")
        let made = try CLI.shell("'\(script)' init '\(tsa)'", in: directory.url)
        #expect(made.status == 0, "\(made.stderr)")
        let digest = SHA256.hash(Array("a checkpoint body\n".utf8))
        let response = try stamp(digest, tsa: tsa, name: "one")
        let info = try RFC3161.verify(response: response, sha256: digest, caFile: tsa + "/ca.crt")
        #expect(info.policy == "1.2.3.4.1")
        #expect(info.genTime.hasSuffix("Z") && info.genTime.count >= 20)
        #expect(abs(info.genTimeSeconds - Int64(Date().timeIntervalSince1970)) < 600)
        #expect(info.tsaName?.contains("TSA") == true)

        // Another digest, another CA, garbage: refused.
        let other = SHA256.hash(Array("another checkpoint body\n".utf8))
        #expect(throws: CryptoError.self) {
            _ = try RFC3161.verify(response: response, sha256: other, caFile: tsa + "/ca.crt")
        }
        let otherTSA = directory.path("other-tsa")
        #expect(try CLI.shell("'\(script)' init '\(otherTSA)'", in: directory.url).status == 0)
        #expect(throws: CryptoError.self) {
            _ = try RFC3161.verify(response: response, sha256: digest, caFile: otherTSA + "/ca.crt")
        }
        #expect(throws: CryptoError.self) {
            _ = try RFC3161.verify(response: Array(response.dropLast(7)), sha256: digest, caFile: tsa + "/ca.crt")
        }
    }
}
