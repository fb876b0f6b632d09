import LedgerCrypto
import Testing

/// An RFC 8032 §7.1 test vector: seed ("SECRET KEY"), public key, message and signature, all hex.
struct Ed25519Vector: Sendable, CustomTestStringConvertible {
    let name: String
    let seed: String
    let publicKey: String
    let message: String
    let signature: String

    var testDescription: String { name }
}

/// A public key encoding that must be refused, and why.
struct RejectedKey: Sendable, CustomTestStringConvertible {
    let name: String
    let hex: String

    var testDescription: String { name }
}

struct Ed25519Tests {
    static let vectors: [Ed25519Vector] = [
        Ed25519Vector(
            name: "TEST 1",
            seed: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            publicKey: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
            message: "",
            signature: "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
                + "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
        Ed25519Vector(
            name: "TEST 2",
            seed: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
            publicKey: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
            message: "72",
            signature: "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
                + "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
        Ed25519Vector(
            name: "TEST 3",
            seed: "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
            publicKey: "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
            message: "af82",
            signature: "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
                + "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"),
        Ed25519Vector(
            name: "TEST 1024 (1023-byte message)",
            seed: "f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5",
            publicKey: "278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e",
            message: message1023,
            signature: "0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350"
                + "aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03"),
    ]

    static let message1023: String = [
        "08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98",
        "fa6e264bf09efe12ee50f8f54e9f77b1e355f6c50544e23fb1433ddf73be84d8",
        "79de7c0046dc4996d9e773f4bc9efe5738829adb26c81b37c93a1b270b20329d",
        "658675fc6ea534e0810a4432826bf58c941efb65d57a338bbd2e26640f89ffbc",
        "1a858efcb8550ee3a5e1998bd177e93a7363c344fe6b199ee5d02e82d522c4fe",
        "ba15452f80288a821a579116ec6dad2b3b310da903401aa62100ab5d1a36553e",
        "06203b33890cc9b832f79ef80560ccb9a39ce767967ed628c6ad573cb116dbef",
        "efd75499da96bd68a8a97b928a8bbc103b6621fcde2beca1231d206be6cd9ec7",
        "aff6f6c94fcd7204ed3455c68c83f4a41da4af2b74ef5c53f1d8ac70bdcb7ed1",
        "85ce81bd84359d44254d95629e9855a94a7c1958d1f8ada5d0532ed8a5aa3fb2",
        "d17ba70eb6248e594e1a2297acbbb39d502f1a8c6eb6f1ce22b3de1a1f40cc24",
        "554119a831a9aad6079cad88425de6bde1a9187ebb6092cf67bf2b13fd65f270",
        "88d78b7e883c8759d2c4f5c65adb7553878ad575f9fad878e80a0c9ba63bcbcc",
        "2732e69485bbc9c90bfbd62481d9089beccf80cfe2df16a2cf65bd92dd597b07",
        "07e0917af48bbb75fed413d238f5555a7a569d80c3414a8d0859dc65a46128ba",
        "b27af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d83d1255dc51a",
        "ddd3b75a2b1ae0784504df543af8969be3ea7082ff7fc9888c144da2af58429e",
        "c96031dbcad3dad9af0dcbaaaf268cb8fcffead94f3c7ca495e056a9b47acdb7",
        "51fb73e666c6c655ade8297297d07ad1ba5e43f1bca32301651339e22904cc8c",
        "42f58c30c04aafdb038dda0847dd988dcda6f3bfd15c4b4c4525004aa06eeff8",
        "ca61783aacec57fb3d1f92b0fe2fd1a85f6724517b65e614ad6808d6f6ee34df",
        "f7310fdc82aebfd904b01e1dc54b2927094b2db68d6f903b68401adebf5a7e08",
        "d78ff4ef5d63653a65040cf9bfd4aca7984a74d37145986780fc0b16ac451649",
        "de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a3ca8e1b939ae49e4",
        "88acba6b965610b5480109c8b17b80e1b7b750dfc7598d5d5011fd2dcc5600a3",
        "2ef5b52a1ecc820e308aa342721aac0943bf6686b64b2579376504ccc493d97e",
        "6aed3fb0f9cd71a43dd497f01f17c0e2cb3797aa2a2f256656168e6c496afc5f",
        "b93246f6b1116398a346f1a641f3b041e989f7914f90cc2c7fff357876e506b5",
        "0d334ba77c225bc307ba537152f3f1610e4eafe595f6d9d90d11faa933a15ef1",
        "369546868a7f3a45a96768d40fd9d03412c091c6315cf4fde7cb68606937380d",
        "b2eaaa707b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac86aba41c",
        "0618983f8741c5ef68d3a101e8a3b8cac60c905c15fc910840b94c00a0b9d0",
    ].joined()

    /// L, the order of the base point, little-endian (RFC 8032 §5.1).
    static let groupOrder: [UInt8] = bytes("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")

    static func bytes(_ hex: String) -> [UInt8] { Hex.decode(hex) ?? [] }

    @Test(
        "RFC 8032 §7.1: seed gives the public key, signing gives the exact signature, which verifies",
        arguments: vectors)
    func rfc8032Vector(_ vector: Ed25519Vector) throws {
        let seed = try #require(Hex.decode(vector.seed))
        let message = try #require(Hex.decode(vector.message))
        let key = try Ed25519PrivateKey(seed: seed)
        #expect(Hex.encode(key.publicKey.raw) == vector.publicKey)
        #expect(key.seed == seed)
        let signature = key.sign(message)
        #expect(Hex.encode(signature) == vector.signature)

        let publicKey = try Ed25519PublicKey(raw: try #require(Hex.decode(vector.publicKey)))
        #expect(publicKey == key.publicKey)
        #expect(publicKey.verify(signature: Self.bytes(vector.signature), message: message))
    }

    @Test("The long vector's message is exactly 1023 bytes")
    func longMessageLength() {
        #expect(Self.bytes(Self.message1023).count == 1023)
    }

    @Test("Flipping any one bit of the signature or the message makes verification fail", arguments: vectors)
    func flippedBits(_ vector: Ed25519Vector) throws {
        let publicKey = try Ed25519PublicKey(raw: Self.bytes(vector.publicKey))
        let message = Self.bytes(vector.message)
        let signature = Self.bytes(vector.signature)
        for bit in 0..<512 {
            var bad = signature
            bad[bit / 8] ^= UInt8(1) << (bit % 8)
            #expect(!publicKey.verify(signature: bad, message: message), "signature bit \(bit)")
        }
        for bit in 0..<min(message.count * 8, 64) {
            var bad = message
            bad[bit / 8] ^= UInt8(1) << (bit % 8)
            #expect(!publicKey.verify(signature: signature, message: bad), "message bit \(bit)")
        }
        #expect(!publicKey.verify(signature: signature, message: message + [0]))
    }

    @Test("A signature of the wrong length does not verify")
    func wrongSignatureLength() throws {
        let vector = Self.vectors[1]
        let publicKey = try Ed25519PublicKey(raw: Self.bytes(vector.publicKey))
        let signature = Self.bytes(vector.signature)
        for length in [0, 1, 32, 63] {
            #expect(!publicKey.verify(signature: Array(signature.prefix(length)), message: [0x72]))
        }
        #expect(!publicKey.verify(signature: signature + [0], message: [0x72]))
    }

    @Test("A signature with S + L in place of S does not verify (S must be below L)", arguments: vectors)
    func malleatedS(_ vector: Ed25519Vector) throws {
        let publicKey = try Ed25519PublicKey(raw: Self.bytes(vector.publicKey))
        let message = Self.bytes(vector.message)
        let signature = Self.bytes(vector.signature)
        #expect(publicKey.verify(signature: signature, message: message))

        // S is the second half, little-endian; S < L < 2^253, so S + L fits in 32 bytes.
        var malleated = signature
        var carry: UInt16 = 0
        for index in 0..<32 {
            let sum = UInt16(signature[32 + index]) + UInt16(Self.groupOrder[index]) + carry
            malleated[32 + index] = UInt8(sum & 0xff)
            carry = sum >> 8
        }
        #expect(carry == 0)
        #expect(malleated != signature)
        #expect(!publicKey.verify(signature: malleated, message: message))
    }

    // The y coordinates (little-endian, sign bit clear) of the points of small order: the identity (y = 1),
    // the point of order 2 (y = p − 1), the two points of order 4 (y = 0) and the four of order 8 (y = ±y8).
    // Each is listed with both sign bits; for y = ±1 the sign bit set is an invalid encoding of x = 0.
    static let smallOrderY: [(String, String)] = [
        ("y=1 (identity)", "0100000000000000000000000000000000000000000000000000000000000000"),
        ("y=p-1 (order 2)", "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
        ("y=0 (order 4)", "0000000000000000000000000000000000000000000000000000000000000000"),
        ("y=y8 (order 8)", "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),
        ("y=-y8 (order 8)", "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),
        // Non-canonical encodings of y = 0 and y = 1.
        ("y=p (non-canonical 0)", "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
        ("y=p+1 (non-canonical 1)", "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
    ]

    static let smallOrderKeys: [RejectedKey] = smallOrderY.flatMap { name, hex -> [RejectedKey] in
        var signed = bytes(hex)
        signed[31] |= 0x80
        return [
            RejectedKey(name: "\(name), sign 0", hex: hex),
            RejectedKey(name: "\(name), sign 1", hex: Hex.encode(signed)),
        ]
    }

    static let nonCanonicalKeys: [RejectedKey] = [
        RejectedKey(name: "y=p+2", hex: "efffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
        RejectedKey(name: "y=p+3", hex: "f0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
        RejectedKey(name: "y=2^255-1", hex: "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
        RejectedKey(name: "y=2^255-1, sign 1", hex: "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"),
        RejectedKey(name: "y=p+2, sign 1", hex: "efffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"),
    ]

    @Test("Every small-order public key encoding is refused", arguments: smallOrderKeys)
    func smallOrderKeyRejected(_ key: RejectedKey) {
        let error = #expect(throws: CryptoError.self) { try Ed25519PublicKey(raw: Self.bytes(key.hex)) }
        #expect(error == CryptoError.invalidKey(""))
        #expect(error?.description.contains("small order") == true)
    }

    @Test("Seven y values, each with both sign bits")
    func smallOrderListIsComplete() {
        #expect(Set(Self.smallOrderKeys.map(\.hex)).count == 14)
    }

    @Test("A public key with y ≥ p is refused as non-canonical", arguments: nonCanonicalKeys)
    func nonCanonicalKeyRejected(_ key: RejectedKey) {
        let error = #expect(throws: CryptoError.self) { try Ed25519PublicKey(raw: Self.bytes(key.hex)) }
        #expect(error == CryptoError.invalidKey(""))
        #expect(error?.description.contains("canonical") == true)
    }

    @Test("Wrong lengths are refused")
    func wrongLengths() {
        #expect(throws: CryptoError.invalidKey("")) { try Ed25519PublicKey(raw: [UInt8](repeating: 9, count: 31)) }
        #expect(throws: CryptoError.invalidKey("")) { try Ed25519PublicKey(raw: [UInt8](repeating: 9, count: 33)) }
        #expect(throws: CryptoError.invalidKey("")) { try Ed25519PrivateKey(seed: [UInt8](repeating: 9, count: 31)) }
        #expect(throws: CryptoError.invalidKey("")) { try Ed25519PrivateKey(seed: []) }
    }

    @Test("Generated keys sign and verify, and differ from each other")
    func generatedKeys() {
        let first = Ed25519PrivateKey.generate()
        let second = Ed25519PrivateKey.generate()
        #expect(first.publicKey != second.publicKey)
        let message = Array("custody-ledger/v1 entry\n".utf8)
        let signature = first.sign(message)
        #expect(first.publicKey.verify(signature: signature, message: message))
        #expect(!second.publicKey.verify(signature: signature, message: message))
    }
}
