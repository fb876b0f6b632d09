import LedgerCore
import LedgerCrypto
import LedgerHTTP
import Testing

/// RFC 9421 message signatures, RFC 9530 digests and the RFC 8941 fields they use.
struct MessageSignatureTests {
    /// RFC 9421 Appendix B.1.4: test-key-ed25519 (private and public halves).
    static let rfcPrivateKey = """
        -----BEGIN PRIVATE KEY-----
        MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF
        -----END PRIVATE KEY-----
        """
    static let rfcPublicKey = "JrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs="

    /// RFC 9421 Appendix B.2: the test request, as far as B.2.6 covers it.
    static let rfcRequest = SignedRequestParts(
        method: "POST", targetURI: "https://example.com/foo?param=Value&Pet=dog",
        fields: [
            ("Host", "example.com"), ("Date", "Tue, 20 Apr 2021 02:07:55 GMT"), ("Content-Type", "application/json"),
            (
                "Content-Digest",
                "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:"
            ),
            ("Content-Length", "18"),
        ])

    static let rfcSignatureInput =
        "sig-b26=(\"date\" \"@method\" \"@path\" \"@authority\" \"content-type\" \"content-length\")"
        + ";created=1618884473;keyid=\"test-key-ed25519\""
    static let rfcSignature =
        "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:"

    @Test func theRFCsEd25519ExampleVerifiesAndItsBaseIsReproduced() throws {
        let received = try MessageSignature.received(
            signatureInput: Self.rfcSignatureInput, signature: Self.rfcSignature)
        #expect(received.label == "sig-b26")
        let base = try MessageSignature.base(
            components: received.components, parameters: received.rawParameters, request: Self.rfcRequest)
        #expect(
            String(decoding: base, as: UTF8.self) == """
                "date": Tue, 20 Apr 2021 02:07:55 GMT
                "@method": POST
                "@path": /foo
                "@authority": example.com
                "content-type": application/json
                "content-length": 18
                "@signature-params": ("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"
                """)
        let key = try Ed25519PublicKey(raw: try #require(Base64.decodeCanonical(Self.rfcPublicKey)))
        #expect(try received.verify(Self.rfcRequest, key: key))
        // Ed25519 is deterministic: the RFC's private key signs the base into the RFC's signature.
        let privateKey = try Ed25519PrivateKey(pkcs8PEM: Self.rfcPrivateKey)
        #expect(privateKey.sign(base) == received.signature)
        // Any change to a covered component breaks it.
        var changed = Self.rfcRequest
        changed.method = "PUT"
        #expect(try !received.verify(changed, key: key))
        changed = Self.rfcRequest
        changed.fields[1].value = "Tue, 20 Apr 2021 02:07:56 GMT"
        #expect(try !received.verify(changed, key: key))
    }

    @Test func aSignatureThisProfileMakesVerifiesAndCoversMethodURIAndDigest() throws {
        let key = Ed25519PrivateKey.generate()
        let body = Array("{\"a\":1}".utf8)
        let request = SignedRequestParts(
            method: "POST", targetURI: "http://127.0.0.1:8080/api/v1/statements",
            fields: [("Content-Digest", ContentDigest.value(for: body))])
        let parameters = MessageSignatureParameters(
            created: 1_700_000_000, expires: 1_700_000_060, nonce: "n-1", keyID: KeyID.of(key.publicKey))
        let signed = MessageSignature.sign(request, key: key, parameters: parameters)
        #expect(
            signed.signatureInput
                == "ledger=(\"@method\" \"@target-uri\" \"content-digest\");created=1700000000;expires=1700000060"
                + ";nonce=\"n-1\";keyid=\"\(KeyID.of(key.publicKey))\";alg=\"ed25519\"")
        let received = try MessageSignature.received(signatureInput: signed.signatureInput, signature: signed.signature)
        #expect(try received.parameters() == parameters)
        #expect(try received.verify(request, key: key.publicKey))
        var other = request
        other.targetURI = "http://127.0.0.1:8080/api/v1/statements?x=1"
        #expect(try !received.verify(other, key: key.publicKey))
        #expect(try ContentDigest.matches(ContentDigest.value(for: body), body: body))
        #expect(try !ContentDigest.matches(ContentDigest.value(for: body), body: body + [0x20]))
    }

    @Test(arguments: [
        ("", "Signature-Input or Signature"),
        ("a=(\"@method\");created=1, b=(\"@method\");created=1", "exactly one signature"),
        ("ledger=\"@method\"", "not an inner list"),
        ("ledger=(\"@method\";req)", "plain strings"),
        ("ledger=(\"@method\" \"@method\")", "covered twice"),
        ("ledger=(@method)", "not a structured field"),
    ])
    func malformedSignatureInputIsRefusedInWords(input: String, words: String) {
        let signature = "ledger=:" + Base64.encode([UInt8](repeating: 1, count: 64)) + ":"
        do {
            let received = try MessageSignature.received(signatureInput: input, signature: signature)
            Issue.record("accepted \(input): \(received.components)")
        } catch {
            #expect("\(error)".contains(words) || (input.isEmpty && "\(error)".contains("exactly one")), "\(error)")
        }
    }

    @Test func structuredFieldsParseAndSerializeTheirItems() throws {
        let members = try StructuredField.parseDictionary(
            "a=1, b=\"x \\\"y\\\"\", c=:AQID:, d=?0, e, f=(\"p\" \"q\");n=-5;t=tok/en")
        #expect(members.map(\.key) == ["a", "b", "c", "d", "e", "f"])
        #expect(members[0].value == .item(.init(.integer(1))))
        #expect(members[1].value == .item(.init(.string("x \"y\""))))
        #expect(members[2].value == .item(.init(.bytes([1, 2, 3]))))
        #expect(members[3].value == .item(.init(.boolean(false))))
        #expect(members[4].value == .item(.init(.boolean(true))))
        guard case .innerList(let items, let parameters) = members[5].value else {
            Issue.record("f is not an inner list")
            return
        }
        #expect(
            StructuredField.serialize(innerList: items, parameters: parameters) == "(\"p\" \"q\");n=-5;t=tok/en")
        for bad in ["a=", "a=1,", "A=1", "a=\"open", "a=1234567890123456", "a=:!!:"] {
            #expect(throws: StructuredField.ParseError.self) { try StructuredField.parseDictionary(bad) }
        }
    }
}

/// tlog-tiles resource paths (c2sp.org/tlog-tiles).
struct TilePathTests {
    @Test func pathsAreSpelledAsTheSpecSpellsThem() throws {
        #expect(TilePath(level: 0, index: 1_234_067, width: 256).path == "0/x001/x234/067")
        #expect(TilePath(level: 2, index: 0, width: 1).path == "2/000.p/1")
        #expect(TilePath(level: nil, index: 5, width: 17).path == "entries/005.p/17")
        #expect(TilePath("0/x001/x234/067") == TilePath(level: 0, index: 1_234_067, width: 256))
        #expect(TilePath("entries/000.p/255") == TilePath(level: nil, index: 0, width: 255))
        for bad in [
            "0/1", "00/000", "64/000", "0/x001", "0/001/002", "0/000.p/0", "0/000.p/256", "0/000.p/01", "x/000",
        ] {
            #expect(TilePath(bad) == nil, "\(bad)")
        }
    }

    @Test func theSpecsExampleTreeOf70000HasItsTiles() {
        // tlog-tiles: 273 full level-0 tiles, a partial of width 112, one full level-1 tile, a partial level-1
        // tile of width 17, a partial level-2 tile of width 1.
        let size: Int64 = 70_000
        #expect(TilePath(level: 0, index: 272, width: 256).exists(inTreeOf: size))
        #expect(!TilePath(level: 0, index: 273, width: 256).exists(inTreeOf: size))
        #expect(TilePath(level: 0, index: 273, width: 112).exists(inTreeOf: size))
        #expect(!TilePath(level: 0, index: 273, width: 113).exists(inTreeOf: size))
        #expect(TilePath(level: 1, index: 0, width: 256).exists(inTreeOf: size))
        #expect(TilePath(level: 1, index: 1, width: 17).exists(inTreeOf: size))
        #expect(!TilePath(level: 1, index: 1, width: 18).exists(inTreeOf: size))
        #expect(TilePath(level: 2, index: 0, width: 1).exists(inTreeOf: size))
        #expect(!TilePath(level: 2, index: 0, width: 2).exists(inTreeOf: size))
        #expect(!TilePath(level: 3, index: 0, width: 1).exists(inTreeOf: size))
    }
}
