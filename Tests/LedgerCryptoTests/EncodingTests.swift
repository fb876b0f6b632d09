import LedgerCrypto
import Testing

struct HexTests {
    @Test("Encodes lowercase")
    func encode() {
        #expect(Hex.encode([]) == "")
        #expect(Hex.encode([0x00, 0x01, 0x7f, 0x80, 0xab, 0xff]) == "00017f80abff")
    }

    @Test("Decodes lowercase, and round-trips every byte")
    func decode() {
        #expect(Hex.decode("") == [])
        #expect(Hex.decode("00017f80abff") == [0x00, 0x01, 0x7f, 0x80, 0xab, 0xff])
        let all = (0...255).map { UInt8($0) }
        #expect(Hex.decode(Hex.encode(all)) == all)
    }

    @Test(
        "Rejects anything but even-length lowercase hex",
        arguments: ["AB", "aB", "Ab", "0", "abc", "0g", "zz", " 00", "00 ", "0x00", "+0", "ab\n", "é0"])
    func rejects(text: String) {
        #expect(Hex.decode(text) == nil)
    }

    @Test("isCanonical checks length and alphabet")
    func isCanonical() {
        #expect(Hex.isCanonical("00ff", byteCount: 2))
        #expect(!Hex.isCanonical("00FF", byteCount: 2))
        #expect(!Hex.isCanonical("00ff", byteCount: 3))
        #expect(!Hex.isCanonical("00f", byteCount: 2))
        #expect(Hex.isCanonical(String(repeating: "0", count: 64), byteCount: 32))
    }
}

struct Base64Tests {
    // RFC 4648 §10.
    static let vectors: [(String, String)] = [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ]

    @Test("RFC 4648 §10 vectors encode and decode")
    func vectors() {
        for (plain, encoded) in Self.vectors {
            #expect(Base64.encode(Array(plain.utf8)) == encoded)
            #expect(Base64.decodeCanonical(encoded) == Array(plain.utf8))
        }
        let all = (0...255).map { UInt8($0) }
        #expect(Base64.decodeCanonical(Base64.encode(all)) == all)
    }

    @Test(
        "Rejects non-canonical base64",
        arguments: [
            "Zg",  // missing padding
            "Zg=",  // short padding
            "Zm8",  // missing padding
            "Zg===",  // extra padding
            "Zm9v====",  // padding after a full group
            "Zh==",  // non-zero trailing bits (canonical: Zg==)
            "Zm9=",  // non-zero trailing bits (canonical: Zm8=)
            "Zm9v\n",  // trailing newline
            "Zm 9v",  // inner space
            " Zm9v",  // leading space
            "Zm9v\r\nYmFy",  // line break
            "Zm9v\tYmFy",  // tab
            "-_-_",  // URL-safe alphabet
            "Zm9v!",  // not base64 at all
            "=Zm9v",  // padding first
        ])
    func rejects(text: String) {
        #expect(Base64.decodeCanonical(text) == nil)
    }
}

struct SecureRandomTests {
    @Test("uuidV4 is a lowercase RFC 9562 version 4 UUID")
    func uuidFormat() throws {
        let pattern = try Regex("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
        var seen = Set<String>()
        var variants = Set<Character>()
        for _ in 0..<1000 {
            let uuid = SecureRandom.uuidV4()
            #expect(uuid.wholeMatch(of: pattern) != nil, "\(uuid)")
            variants.insert(Array(uuid)[19])
            seen.insert(uuid)
        }
        #expect(seen.count == 1000)
        // All four variant digits turn up in 1000 draws (each missing has probability (3/4)^1000).
        #expect(variants == ["8", "9", "a", "b"])
    }

    @Test("bytes gives the count asked for, and different bytes each time")
    func bytes() {
        #expect(SecureRandom.bytes(0).isEmpty)
        #expect(SecureRandom.bytes(1).count == 1)
        let first = SecureRandom.bytes(32)
        let second = SecureRandom.bytes(32)
        #expect(first.count == 32)
        #expect(first != second)
    }
}

struct ByteOrderTests {
    @Test("Identifiers compare and sort by their UTF-8 bytes, not by Unicode equivalence")
    func byteOrder() {
        // "é" precomposed (C3 A9) and decomposed (65 CC 81): equal to `==`, different bytes.
        let composed = "caf\u{E9}"
        let decomposed = "cafe\u{301}"
        #expect(composed == decomposed)
        #expect(!composed.hasSameBytes(as: decomposed))
        #expect(decomposed.precedesInBytes(composed))
        #expect(!composed.precedesInBytes(decomposed))
        // A prefix sorts first; nothing precedes itself; small and large strings alike.
        #expect("T-1".precedesInBytes("T-10"))
        #expect(!"T-10".precedesInBytes("T-1"))
        #expect(!"".precedesInBytes(""))
        #expect("".precedesInBytes("a"))
        #expect("B".precedesInBytes("a"))
        let long = String(repeating: "x", count: 40)
        #expect((long + "a").precedesInBytes(long + "b"))
        #expect(!(long + "b").precedesInBytes(long + "a"))
        let words = ["target/b", "T-2", "caf\u{E9}", "T-10", "cafe\u{301}", long, ""]
        let sorted = words.sorted { $0.precedesInBytes($1) }.map { Array($0.utf8) }
        #expect(sorted == words.map { Array($0.utf8) }.sorted { $0.lexicographicallyPrecedes($1) })
    }
}
