import Foundation
import LedgerCrypto
import Testing

@testable import LedgerCore

/// The canonical record reader (``Entry/parseCanonical(_:)``) accepts exactly the records the full reader accepts
/// and reads them the same way; ``Entry/parse(record:)`` gives the full reader's errors for everything else.
struct CanonicalRecordTests {
    /// A version-2 record with every optional part: genesis, an anchor, a co-signer's element with its time, and
    /// data with escapes, characters outside ASCII, nesting and arrays.
    private func statementRecord(seq: Int64 = 7) -> [UInt8] {
        let actor = Ed25519PrivateKey.generate()
        let witness = Ed25519PrivateKey.generate()
        var body = EntryBody(
            ledger: "ledger.test.example/op", seq: seq, prev: String(repeating: "a", count: 64), stream: "item/EV-1",
            streamRev: 3, streamPrev: String(repeating: "b", count: 64), id: SecureRandom.uuidV4(),
            time: "2026-12-07T10:00:00.000Z", type: "custody.transferred", actor: KeyID.of(actor.publicKey),
            data: [
                "text": "Übergabe \"quoted\" \\ back\nslash\t\u{1}\u{7F}",
                "witness": .string(KeyID.of(witness.publicKey)),
                "nested": ["a": [1, -2, 9_007_199_254_740_991, true, false, nil], "é": "\u{10000}", "\u{FF61}": [:]],
            ], version: EntryBody.statementVersion, genesis: seq > 1 ? String(repeating: "c", count: 64) : nil,
            signedAt: "2026-12-07T09:59:00.000Z", expires: "2026-12-08T09:59:00.000Z")
        body.anchor = StatementAnchor(size: 5, root: String(repeating: "d", count: 64))
        let unsigned = Entry(body: body, sigs: [])
        return unsigned.withSignatures([
            EntrySignature(
                key: body.actor, signature: actor.sign(SigningMessage.statement(hash: unsigned.statementHash))),
            EntrySignature(
                key: KeyID.of(witness.publicKey),
                signature: witness.sign(
                    SigningMessage.coSignature(statementHash: unsigned.statementHash, signedAt: body.signedAt)),
                signedAt: body.signedAt),
        ]).record
    }

    private func version1Record() -> [UInt8] {
        let key = Ed25519PrivateKey.generate()
        let body = EntryBody(
            ledger: "ledger.test.example/v1", seq: 12, prev: String(repeating: "a", count: 64), stream: "item/EV-1",
            streamRev: 31, streamPrev: String(repeating: "b", count: 64), id: SecureRandom.uuidV4(),
            time: "2026-11-29T10:00:00.000Z", type: "note.added", actor: KeyID.of(key.publicKey),
            data: ["text": "a \"quoted\" note\n", "list": [1, ["x": nil]]])
        let unsigned = Entry(body: body, sigs: [])
        return unsigned.withSignatures([
            EntrySignature(key: body.actor, signature: key.sign(SigningMessage.entry(bodyHash: unsigned.bodyHash)))
        ]).record
    }

    @Test func theCanonicalReaderReadsWhatTheFullReaderReads() throws {
        for record in [statementRecord(), statementRecord(seq: 1), version1Record()] {
            let fast = try #require(Entry.parseCanonical(record), "\(String(decoding: record, as: UTF8.self))")
            expectSame(fast, try Entry.parseInFull(record: record))
        }
    }

    /// Every byte of a version-2 and a version-1 record replaced in turn by bytes that break canonical form, JSON
    /// or a pattern: both readers accept the same variants (a replacement can leave a record valid) and read
    /// them the same way; `parse` gives the full reader's error for the others (checked at every fifth byte).
    @Test func bothReadersAgreeOnEveryOneByteChange() {
        // Whitespace, a quote, a backslash, a digit (a hash stays a hash), a closing brace, a byte that is not UTF-8.
        let replacements: [UInt8] = [0x20, 0x22, 0x5c, 0x30, 0x7d, 0xc3]
        var accepted = 0
        for record in [statementRecord(), version1Record()] {
            for index in record.indices {
                for byte in replacements where record[index] != byte {
                    var changed = record
                    changed[index] = byte
                    let fast = Entry.parseCanonical(changed)
                    let full = Result { () throws(EntryFormatError) in try Entry.parseInFull(record: changed) }
                    switch (fast, full) {
                    case (.some(let fast), .success(let full)):
                        expectSame(fast, full)
                        accepted += 1
                    case (.none, .failure(let error)) where index % 5 == 0:
                        let viaParse = Result { () throws(EntryFormatError) in try Entry.parse(record: changed) }
                        guard case .failure(let same) = viaParse else {
                            Issue.record("parse accepts what the full reader refuses")
                            continue
                        }
                        #expect(same.description == error.description)
                    case (.none, .failure): break
                    default:
                        let text = String(decoding: changed, as: UTF8.self)
                        Issue.record(
                            "the readers disagree (canonical \(fast != nil)) at byte \(index) → \(byte): \(text)")
                    }
                }
            }
        }
        // Some changes stay valid (a digit of a hash, a letter of the text): the comparison above was exercised.
        #expect(accepted > 50)
    }

    /// Forms RFC 8785 does not write, each alone: the canonical reader refuses them, and the full reader names the
    /// record as not canonical.
    @Test(arguments: [
        (#""text":"Übergabe"#, #""text": "Übergabe"#),
        (#""text":"Übergabe"#, #""text":"\u00dcbergabe"#),
        (#"{"a":[1,-2"#, #"{"a":[1,-2.0"#),
        (#"{"a":[1,-2"#, #"{"a":[1 ,-2"#),
        (#"back\nslash"#, #"back\u000aslash"#),
        (#"\t\u0001"#, #"\t\u0001\/"#),
        (#"\t\u0001"#, #"\t\u0001\u0041"#),
        (#"\t\u0001"#, #"\t\u001F"#),
        (#""é":"#, #""é" :"#),
    ])
    func nonCanonicalFormsAreRefused(_ original: String, _ replacement: String) throws {
        let text = String(decoding: statementRecord(), as: UTF8.self)
        #expect(text.contains(original))
        let record = Array(text.replacingOccurrences(of: original, with: replacement).utf8)
        #expect(Entry.parseCanonical(record) == nil)
        #expect(throws: EntryFormatError.self) { try Entry.parse(record: record) }
    }

    @Test func theCanonicalProfileAcceptsOnlyWhatJCSWrites() throws {
        let value: JSONValue = [
            "z": 1, "a": ["\u{1}\u{1F}\u{8}\t\n\u{c}\r\"\\/", -7, [], [:]], "\u{FF61}": nil, "\u{10000}": true,
        ]
        let canonical = JCS.serialize(value)
        #expect(try JSONParser.parse(canonical, profile: .ledgerCanonical) == value)
        let text = String(decoding: canonical, as: UTF8.self)
        for variant in [
            " " + text, text + "\n", text.replacingOccurrences(of: ":", with: ": "),
            text.replacingOccurrences(of: #"\u001f"#, with: #"\u001F"#),
            text.replacingOccurrences(of: #"\b"#, with: #"\u0008"#),
            text.replacingOccurrences(of: "/", with: #"\/"#),
            text.replacingOccurrences(of: "-7", with: "-7.0"),
            text.replacingOccurrences(of: "-7", with: "-7e0"),
            text.replacingOccurrences(of: #"{"a":"#, with: #"{"b":0,"a":"#),
            text.replacingOccurrences(of: #"{"a":"#, with: #"{"a":0,"a":"#),
        ] {
            #expect(throws: JSONError.self, "\(variant)") {
                try JSONParser.parse(Array(variant.utf8), profile: .ledgerCanonical)
            }
            // Where the ledger profile reads the variant at all, JCS writes it otherwise.
            if let parsed = try? JSONParser.parse(Array(variant.utf8), profile: .ledgerV1) {
                #expect(JCS.serialize(parsed) != Array(variant.utf8), "\(variant)")
            }
        }
    }
}

private func expectSame(_ fast: Entry, _ full: Entry, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(JCS.serialize(fast.body.json) == JCS.serialize(full.body.json), sourceLocation: sourceLocation)
    #expect(fast.bodyHash == full.bodyHash, sourceLocation: sourceLocation)
    #expect(fast.statementHash == full.statementHash, sourceLocation: sourceLocation)
    #expect(fast.sigs.map(\.json) == full.sigs.map(\.json), sourceLocation: sourceLocation)
    #expect(fast.record == full.record, sourceLocation: sourceLocation)
    #expect(fast.withSignatures(fast.sigs).record == full.record, sourceLocation: sourceLocation)
}
