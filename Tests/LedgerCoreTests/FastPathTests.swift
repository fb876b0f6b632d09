import Foundation
import LedgerCrypto
import Testing

@testable import LedgerCore

/// The hand-written fast paths must produce exactly the bytes of the general ones.
struct FastPathTests {
    @Test(arguments: [
        ["text": "plain"] as JSONValue,
        ["text": "Übergabe \u{1F512} \"quoted\" \\ back\nslash\t\u{1}"],
        ["z": 1, "a": ["nested": [true, false, nil]], "é": "accent", "\u{10000}": "astral", "\u{FF61}": "halfwidth"],
        [:],
    ])
    func bodyWriterMatchesGenericJCS(_ data: JSONValue) {
        let body = EntryBody(
            ledger: "ledger.test.example/x", seq: 9_007_199_254_740_991, prev: String(repeating: "a", count: 64),
            stream: "item/EV-0001", streamRev: 42, streamPrev: String(repeating: "b", count: 64),
            id: SecureRandom.uuidV4(), time: "2026-11-29T10:00:00.000Z", type: "ledger.note",
            actor: String(repeating: "c", count: 64), data: data)
        #expect(body.canonicalBytes == JCS.serialize(body.json))
    }

    @Test func signatureArrayWriterMatchesTheGenericSerializer() {
        let keys = [String(repeating: "a1", count: 32), String(repeating: "0f", count: 32), "odd \"key\" \u{1}"]
        for count in 1...3 {
            let sigs = (0..<count).map { index in
                EntrySignature(key: keys[index], signature: (0..<64).map { UInt8(($0 * 37 + index * 11) % 256) })
            }
            var direct = [UInt8]()
            EntrySignature.writeArray(sigs, to: &direct)
            #expect(direct == JCS.serialize(.array(sigs.map(\.json))), "\(count) signature(s)")
        }
    }

    @Test func base64MatchesFoundationForEveryLength() {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<200 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect(Base64.encode(bytes) == Data(bytes).base64EncodedString())
            #expect(Base64.decodeCanonical(Base64.encode(bytes)) == bytes)
        }
    }

    /// The canonical decoder accepts exactly the texts that Foundation decodes and that encode back to themselves.
    @Test func base64CanonicalDecodingMatchesFoundationAndReencoding() {
        func reference(_ text: String) -> [UInt8]? {
            guard let data = Data(base64Encoded: text), Base64.encode([UInt8](data)) == text else { return nil }
            return [UInt8](data)
        }
        var generator = SystemRandomNumberGenerator()
        let characters = Array("AQgw/+=a9 -_\n\u{E9}")
        for _ in 0..<20_000 {
            let text = String(
                (0..<Int.random(in: 0...9, using: &generator)).map { _ in characters.randomElement(using: &generator)! }
            )
            #expect(Base64.decodeCanonical(text) == reference(text), "\(text)")
        }
        for text in [
            "", "AA==", "AB==", "AAA=", "AAB=", "AAAA", "QQ==", "QR==", "=AAA", "A=AA", "AA=A", "A===", "====",
        ] {
            #expect(Base64.decodeCanonical(text) == reference(text), "\(text)")
        }
    }

    @Test func memberOrderIsUTF16OrderEvenOutsideASCII() {
        // U+FF61 sorts after U+10000 in UTF-8 byte order but before it in UTF-16 code units (RFC 8785 §3.2.3).
        let value: JSONValue = ["\u{10000}": 1, "\u{FF61}": 2, "a": 3]
        #expect(String(decoding: JCS.serialize(value), as: UTF8.self) == "{\"a\":3,\"\u{10000}\":1,\"\u{FF61}\":2}")
    }

    @Test(arguments: [
        ["text": "plain"] as JSONValue,
        ["text": ",\"sigs\":[{\"key\":\"x\"}] and \"stream_rev\":99,"],
        ["stream_rev": 77, "nested": ["sigs": [1], "stream_rev": 5]],
    ])
    func canonicalBodyFactsMatchTheParsedEntry(_ data: JSONValue) throws {
        let key = Ed25519PrivateKey.generate()
        let body = EntryBody(
            ledger: "ledger.test.example/x", seq: 12, prev: String(repeating: "a", count: 64), stream: "item/EV-1",
            streamRev: 31, streamPrev: String(repeating: "b", count: 64), id: SecureRandom.uuidV4(),
            time: "2026-11-29T10:00:00.000Z", type: "note.added", actor: KeyID.of(key.publicKey), data: data)
        let unsigned = Entry(body: body, sigs: [])
        let entry = unsigned.withSignatures([
            EntrySignature(key: body.actor, signature: key.sign(SigningMessage.entry(bodyHash: unsigned.bodyHash)))
        ])
        let parsed = try Entry.parse(record: entry.record)
        let facts = try #require(Entry.canonicalBodyFacts(entry.record))
        #expect(facts.bodyHash == parsed.bodyHash)
        #expect(facts.streamRev == 31)
    }

    /// Records whose bodies the decoder reads by layout, and others it must hand to the full parser.
    @Test func bodyDecoderReadsWhatTheFullParserReads() throws {
        let key = Ed25519PrivateKey.generate()
        func record(_ type: String, ledger: String, data: JSONValue, seq: Int64 = 3) -> [UInt8] {
            let body = EntryBody(
                ledger: ledger, seq: seq, prev: String(repeating: "a", count: 64), stream: "item/EV-1",
                streamRev: 2, streamPrev: String(repeating: "b", count: 64), id: SecureRandom.uuidV4(),
                time: "2026-11-29T10:00:00.000Z", type: type, actor: KeyID.of(key.publicKey), data: data)
            let unsigned = Entry(body: body, sigs: [])
            return unsigned.withSignatures([
                EntrySignature(key: body.actor, signature: key.sign(SigningMessage.entry(bodyHash: unsigned.bodyHash)))
            ]).record
        }
        let records = [
            record("note.added", ledger: "ledger.test.example/x", data: ["text": "a \"quoted\" \\ note\n"]),
            // The same origin and type again: shared; then values that start like the previous ones.
            record("note.added", ledger: "ledger.test.example/x", data: ["nested": ["a": [1, 2, ["b": nil]]]]),
            record("note.added.more", ledger: "ledger.test.example/xy", data: [:]),
            record("note", ledger: "ledger.test.example/", data: ["é": "\u{10000}"]),
            record("note", ledger: "ledger \"quoted\" \\ origin", data: [:]),
            record("note", ledger: "ledger \"quoted\" \\ origin", data: [:], seq: 9_007_199_254_740_991),
            Array(#"{"body":{"v":1},"sigs":[]}"#.utf8),
            Array(#"{"sigs":[],"body":{"actor":"x"}}"#.utf8),
        ]
        var decoder = EntryBodyDecoder()
        for record in records.prefix(6) {
            // Signed records are canonical: the decoder reads them by layout, not through the full parser.
            var probe = EntryBodyDecoder()
            #expect(probe.canonicalBody(record, try #require(Entry.canonicalBodyRange(record))) != nil)
        }
        for record in records { expectDecoderAgreesWithParser(&decoder, record) }
    }

    @Test func bodyDecoderRejectsWhatTheFullParserRejects() throws {
        let good =
            #"{"actor":"\#(String(repeating: "c", count: 64))","data":{},"id":"3f730512-19f8-49c8-b0eb-c20e7a3e0c0e","ledger":"l","prev":"\#(String(repeating: "a", count: 64))","seq":1,"stream":"ledger","stream_prev":"\#(String(repeating: "0", count: 64))","stream_rev":1,"time":"2026-11-29T10:00:00.000Z","type":"t","v":1}"#
        let variants = [
            good,
            good.replacingOccurrences(of: #""v":1"#, with: #""v":2"#),
            good.replacingOccurrences(of: #""seq":1"#, with: #""seq":1.5"#),
            good.replacingOccurrences(of: #""data":{}"#, with: #""data":{"a":1,"a":2}"#),
            good.replacingOccurrences(of: #""data":{}"#, with: #""data":[]"#),
            good.replacingOccurrences(of: #""stream":"ledger""#, with: #""stream":"led ger""#),
            good.replacingOccurrences(of: #""type":"t""#, with: "\"type\":\"t\u{1}\""),
            good.replacingOccurrences(of: #""id":"3f730512"#, with: #""id":"3F730512"#),
        ]
        var decoder = EntryBodyDecoder()
        for body in variants {
            expectDecoderAgreesWithParser(&decoder, Array(("{\"body\":" + body + ",\"sigs\":[]}").utf8))
        }
        #expect(throws: EntryFormatError.self) {
            try decoder.body(of: Array(("{\"body\":" + variants[1] + ",\"sigs\":[]}").utf8))
        }
    }
}

/// The decoder gives the full parser's body, or fails with the full parser's error.
private func expectDecoderAgreesWithParser(_ decoder: inout EntryBodyDecoder, _ record: [UInt8]) {
    let expected = Result { () throws(EntryFormatError) in try EntryBody.parse(record: record) }
    let decoded = Result { () throws(EntryFormatError) in try decoder.body(of: record) }
    switch (expected, decoded) {
    case (.success(let full), .success(let fast)): #expect(fast.canonicalBytes == full.canonicalBytes)
    case (.failure(let full), .failure(let fast)): #expect(fast.description == full.description)
    default: Issue.record("the decoder and the parser disagree on \(String(decoding: record, as: UTF8.self))")
    }
}
