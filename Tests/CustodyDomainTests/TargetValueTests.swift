import LedgerCore
import Testing

@testable import CustodyDomain

/// One sample string of RFC 3492 §7.1: the code points and their Punycode.
struct PunycodeSample: Sendable, CustomTestStringConvertible {
    let name: String
    let codePoints: [UInt32]
    let punycode: String

    var testDescription: String { "(\(name)) → \(punycode)" }
}

struct TargetValueTests {
    // MARK: Punycode

    /// The sample strings of RFC 3492 §7.1, uppercase code points included.
    ///
    /// The encoder is tested on its own, before any lowercasing. The output of (I) is given in lowercase because
    /// the RFC's carries a mixed-case annotation ("D"), which this encoder does not produce (it is optional, §5).
    static let punycodeSamples: [PunycodeSample] = [
        PunycodeSample(
            name: "A Arabic (Egyptian)",
            codePoints: [
                0x0644, 0x064A, 0x0647, 0x0645, 0x0627, 0x0628, 0x062A, 0x0643, 0x0644, 0x0645, 0x0648, 0x0634,
                0x0639, 0x0631, 0x0628, 0x064A, 0x061F,
            ],
            punycode: "egbpdaj6bu4bxfgehfvwxn"),
        PunycodeSample(
            name: "B Chinese (simplified)",
            codePoints: [0x4ED6, 0x4EEC, 0x4E3A, 0x4EC0, 0x4E48, 0x4E0D, 0x8BF4, 0x4E2D, 0x6587],
            punycode: "ihqwcrb4cv8a8dqg056pqjye"),
        PunycodeSample(
            name: "C Chinese (traditional)",
            codePoints: [0x4ED6, 0x5011, 0x7232, 0x4EC0, 0x9EBD, 0x4E0D, 0x8AAA, 0x4E2D, 0x6587],
            punycode: "ihqwctvzc91f659drss3x8bo0yb"),
        PunycodeSample(
            name: "D Czech",
            codePoints: [
                0x0050, 0x0072, 0x006F, 0x010D, 0x0070, 0x0072, 0x006F, 0x0073, 0x0074, 0x011B, 0x006E, 0x0065,
                0x006D, 0x006C, 0x0075, 0x0076, 0x00ED, 0x010D, 0x0065, 0x0073, 0x006B, 0x0079,
            ],
            punycode: "Proprostnemluvesky-uyb24dma41a"),
        PunycodeSample(
            name: "E Hebrew",
            codePoints: [
                0x05DC, 0x05DE, 0x05D4, 0x05D4, 0x05DD, 0x05E4, 0x05E9, 0x05D5, 0x05D8, 0x05DC, 0x05D0, 0x05DE,
                0x05D3, 0x05D1, 0x05E8, 0x05D9, 0x05DD, 0x05E2, 0x05D1, 0x05E8, 0x05D9, 0x05EA,
            ],
            punycode: "4dbcagdahymbxekheh6e0a7fei0b"),
        PunycodeSample(
            name: "I Russian (Cyrillic)",
            codePoints: [
                0x043F, 0x043E, 0x0447, 0x0435, 0x043C, 0x0443, 0x0436, 0x0435, 0x043E, 0x043D, 0x0438, 0x043D,
                0x0435, 0x0433, 0x043E, 0x0432, 0x043E, 0x0440, 0x044F, 0x0442, 0x043F, 0x043E, 0x0440, 0x0443,
                0x0441, 0x0441, 0x043A, 0x0438,
            ],
            punycode: "b1abfaaepdrnnbgefbadotcwatmq2g4l"),
        PunycodeSample(
            name: "J Spanish",
            codePoints: [
                0x0050, 0x006F, 0x0072, 0x0071, 0x0075, 0x00E9, 0x006E, 0x006F, 0x0070, 0x0075, 0x0065, 0x0064,
                0x0065, 0x006E, 0x0073, 0x0069, 0x006D, 0x0070, 0x006C, 0x0065, 0x006D, 0x0065, 0x006E, 0x0074,
                0x0065, 0x0068, 0x0061, 0x0062, 0x006C, 0x0061, 0x0072, 0x0065, 0x006E, 0x0045, 0x0073, 0x0070,
                0x0061, 0x00F1, 0x006F, 0x006C,
            ],
            punycode: "PorqunopuedensimplementehablarenEspaol-fmd56a"),
        PunycodeSample(
            name: "L 3年B組金八先生",
            codePoints: [0x0033, 0x5E74, 0x0042, 0x7D44, 0x91D1, 0x516B, 0x5148, 0x751F],
            punycode: "3B-ww4c5e180e575a65lsy2b"),
        PunycodeSample(
            name: "M 安室奈美恵-with-SUPER-MONKEYS",
            codePoints: [
                0x5B89, 0x5BA4, 0x5948, 0x7F8E, 0x6075, 0x002D, 0x0077, 0x0069, 0x0074, 0x0068, 0x002D, 0x0053,
                0x0055, 0x0050, 0x0045, 0x0052, 0x002D, 0x004D, 0x004F, 0x004E, 0x004B, 0x0045, 0x0059, 0x0053,
            ],
            punycode: "-with-SUPER-MONKEYS-pc58ag80a8qai00g7n9n"),
        PunycodeSample(
            name: "O ひとつ屋根の下2",
            codePoints: [0x3072, 0x3068, 0x3064, 0x5C4B, 0x6839, 0x306E, 0x4E0B, 0x0032],
            punycode: "2-u9tlzr9756bt3uc0v"),
        PunycodeSample(
            name: "P MajiでKoiする5秒前",
            codePoints: [
                0x004D, 0x0061, 0x006A, 0x0069, 0x3067, 0x004B, 0x006F, 0x0069, 0x3059, 0x308B, 0x0035, 0x79D2,
                0x524D,
            ],
            punycode: "MajiKoi5-783gue6qz075azm5e"),
        PunycodeSample(
            name: "Q パフィーdeルンバ",
            codePoints: [0x30D1, 0x30D5, 0x30A3, 0x30FC, 0x0064, 0x0065, 0x30EB, 0x30F3, 0x30D0],
            punycode: "de-jg4avhby1noc0d"),
        PunycodeSample(
            name: "R そのスピードで",
            codePoints: [0x305D, 0x306E, 0x30B9, 0x30D4, 0x30FC, 0x30C9, 0x3067],
            punycode: "d9juau41awczczp"),
        PunycodeSample(
            name: "S -> $1.00 <-",
            codePoints: [0x002D, 0x003E, 0x0020, 0x0024, 0x0031, 0x002E, 0x0030, 0x0030, 0x0020, 0x003C, 0x002D],
            punycode: "-> $1.00 <--"),
    ]

    @Test("RFC 3492 §7.1 sample strings", arguments: punycodeSamples)
    func punycodeSample(_ sample: PunycodeSample) {
        let scalars = sample.codePoints.compactMap(Unicode.Scalar.init)
        #expect(scalars.count == sample.codePoints.count)
        #expect(TargetValue.punycodeEncode(scalars) == sample.punycode)
    }

    @Test func punycodeOfNothingIsEmpty() {
        #expect(TargetValue.punycodeEncode([]) == "")
    }

    // MARK: IPv4

    @Test(arguments: ["192.0.2.1", "0.0.0.0", "255.255.255.255", "10.0.0.10", "198.51.100.254"])
    func ipv4IsAlreadyCanonical(_ text: String) {
        #expect(TargetValue.normalizeIPv4(text) == text)
    }

    @Test(arguments: [
        "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.1000", "01.2.3.4", "00.1.1.1", "1.2.3.010", "1..2.3",
        "1.2.3.4.", ".1.2.3", "a.b.c.d", "+1.2.3.4", " 1.2.3.4", "1.2.3.4 ", "1.2.3.0x1", "127.1", "4294967295",
        "١.٢.٣.٤", "::1",
    ])
    func ipv4Rejects(_ text: String) {
        #expect(TargetValue.normalizeIPv4(text) == nil)
    }

    // MARK: IPv6

    static let ipv6Vectors: [(String, String)] = [
        // RFC 5952 §4.1: leading zeros.
        ("2001:0db8::0001", "2001:db8::1"),
        ("2001:db8::0001:0", "2001:db8::1:0"),
        // RFC 5952 §4.2.1: "::" as much as possible.
        ("2001:db8:0:0:0:0:2:1", "2001:db8::2:1"),
        ("2001:db8::0:1", "2001:db8::1"),
        // RFC 5952 §4.2.2: a single zero group stays.
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
        ("2001:db8::1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
        ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"),
        ("::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"),
        // RFC 5952 §4.2.3: the longest run, the first on ties.
        ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
        ("2001:db8:0:0:1:0:0:0", "2001:db8:0:0:1::"),
        ("1:0:0:2:0:0:0:3", "1:0:0:2::3"),
        ("0:0:1:0:0:0:0:0", "0:0:1::"),
        // RFC 5952 §4.3: lowercase.
        ("2001:DB8::ABCD", "2001:db8::abcd"),
        ("FE80::0:0:1", "fe80::1"),
        // The edges.
        ("::", "::"),
        ("0:0:0:0:0:0:0:0", "::"),
        ("0000:0000:0000:0000:0000:0000:0000:0000", "::"),
        ("::1", "::1"),
        ("0:0:0:0:0:0:0:1", "::1"),
        ("1::", "1::"),
        ("1:0:0:0:0:0:0:0", "1::"),
        ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"),
        // RFC 5952 §5: IPv4-mapped addresses end in a dotted quad, other embeddings are written in hex.
        ("::ffff:192.0.2.1", "::ffff:192.0.2.1"),
        ("::FFFF:c000:0201", "::ffff:192.0.2.1"),
        ("0:0:0:0:0:ffff:192.0.2.1", "::ffff:192.0.2.1"),
        ("::ffff:0:0", "::ffff:0.0.0.0"),
        ("::192.0.2.1", "::c000:201"),
        ("64:ff9b::192.0.2.33", "64:ff9b::c000:221"),
        ("1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"),
    ]

    @Test("RFC 5952 canonical text", arguments: ipv6Vectors)
    func ipv6Canonical(_ text: String, _ expected: String) {
        #expect(TargetValue.normalizeIPv6(text) == expected)
        #expect(TargetValue.normalizeIPv6(expected) == expected)
    }

    @Test(arguments: [
        "", ":", ":::", "1:::2", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "12345::", "1::2::3", "::1::", "g::",
        ":1::", "1::2:", ":1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:", "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8",
        "::1.2.3", "::1.2.3.256", "::01.2.3.4", "1.2.3.4::", "1:2:3:4:5:1.2.3.4:6", "1:2:3:4:5:6:7:1.2.3.4",
        "::ffff:1.2.3.4:5", "[::1]", "fe80::1%eth0", " ::1", "::1 ", "::-1", "+1::", "1.2.3.4",
    ])
    func ipv6Rejects(_ text: String) {
        #expect(TargetValue.normalizeIPv6(text) == nil)
    }

    // MARK: Domains

    static let domainVectors: [(String, String)] = [
        ("example.com", "example.com"),
        ("EXAMPLE.com.", "example.com"),
        ("Host.Example.CO.uk", "host.example.co.uk"),
        ("a-b.c0.example", "a-b.c0.example"),
        ("1e100.net", "1e100.net"),
        ("123.example", "123.example"),
        ("Bücher.Example", "xn--bcher-kva.example"),
        ("MÜNCHEN.de", "xn--mnchen-3ya.de"),
        ("ÄÖÜ.de", "xn--4ca0bs.de"),
        ("例え.テスト", "xn--r8jz45g.xn--zckzah"),
        ("xn--BCHER-kva.example", "xn--bcher-kva.example"),
        // KELVIN SIGN lowercases to an ASCII "k".
        ("\u{212A}elvin.example", "kelvin.example"),
    ]

    @Test(arguments: domainVectors)
    func domainNormalizes(_ text: String, _ expected: String) {
        #expect(TargetValue.normalizeDomain(text) == expected)
        #expect(TargetValue.normalizeDomain(expected) == expected)
    }

    @Test(arguments: [
        "", ".", "..", "example", "example.", "example..com", ".example.com", "example.com..", "-a.com", "a-.com",
        "a_b.com", "_dmarc.example.com", "a b.com", " example.com", "example.com ", "exa\u{0}mple.com",
        "ex@mple.com", "1.2.3.4", "example.123", "[::1]", "2001:db8::1", "xn--.com", "-ü.com", "ü-.com",
        "ab--ü.com", "\u{308}a.com", "a\u{3002}b.com", "☃.com", "a\u{200D}b.com",
        String(repeating: "a", count: 64) + ".com", String(repeating: "ü", count: 60) + ".com",
    ])
    func domainRejects(_ text: String) {
        #expect(TargetValue.normalizeDomain(text) == nil)
    }

    @Test func domainLengthLimits() {
        let label63 = String(repeating: "a", count: 63)
        #expect(TargetValue.normalizeDomain(label63 + ".com") == label63 + ".com")
        // RFC 1035 §2.3.4: 63 + 1 + 63 + 1 + 63 + 1 + 61 = 253 octets.
        let name253 = [label63, label63, label63, String(repeating: "d", count: 61)].joined(separator: ".")
        #expect(TargetValue.normalizeDomain(name253) == name253)
        #expect(TargetValue.normalizeDomain(name253 + ".") == name253)
        #expect(TargetValue.normalizeDomain(name253 + "d") == nil)
        #expect(TargetValue.normalizeDomain("ü" + name253.dropFirst()) == nil)
    }

    // MARK: URLs

    static let urlVectors: [(String, String)] = [
        ("HTTP://Example.COM:80/a/./b/../c/%7euser?q=%3a#F", "http://example.com/a/c/~user?q=%3A#F"),
        ("https://example.com", "https://example.com/"),
        ("http://[2001:DB8::1]:8080/x", "http://[2001:db8::1]:8080/x"),
        // RFC 3986 §6.2.3: default and empty ports.
        ("https://Example.com:443/", "https://example.com/"),
        ("ftp://FTP.Example.org:21/pub/", "ftp://ftp.example.org/pub/"),
        ("http://example.com:/x", "http://example.com/x"),
        ("http://example.com:0080/", "http://example.com/"),
        ("https://example.com:80/", "https://example.com:80/"),
        ("http://example.com:8080", "http://example.com:8080/"),
        ("ssh://Host.Example.com:22", "ssh://host.example.com:22/"),
        // RFC 3986 §6.2.2.1 and §6.2.2.2: escapes of unreserved characters decoded, the others uppercased.
        ("http://User:P%3aSS@Example.com/", "http://User:P%3ASS@example.com/"),
        ("http://example.com/%2F%41%62%5f%2d%2E%7E", "http://example.com/%2FAb_-.~"),
        ("http://example.com/%e2%82%ac", "http://example.com/%E2%82%AC"),
        ("http://example.com/?a=1&b=%7e/?x#frag/?:@%7e", "http://example.com/?a=1&b=~/?x#frag/?:@~"),
        // RFC 3986 §6.2.2.3: dot segments, also when they were percent-encoded.
        ("http://example.com/a/b/c/./../../g", "http://example.com/a/g"),
        ("http://example.com/%2e%2E/a", "http://example.com/a"),
        ("http://example.com/a/..", "http://example.com/"),
        ("http://example.com/a/b/.", "http://example.com/a/b/"),
        ("http://example.com/../../x", "http://example.com/x"),
        ("http://example.com/a//b", "http://example.com/a//b"),
        // Empty query, fragment and user info are kept (RFC 3986 §6.2.3 does not license removing them).
        ("http://example.com?", "http://example.com/?"),
        ("http://example.com#", "http://example.com/#"),
        ("http://@example.com", "http://@example.com/"),
        // Hosts.
        ("http://192.0.2.1:8080", "http://192.0.2.1:8080/"),
        ("http://[::FFFF:192.0.2.1]/", "http://[::ffff:192.0.2.1]/"),
        ("http://xn--BCHER-kva.Example./", "http://xn--bcher-kva.example/"),
    ]

    @Test("RFC 3986 §6.2.2 and §6.2.3 normalization", arguments: urlVectors)
    func urlNormalizes(_ text: String, _ expected: String) {
        #expect(TargetValue.normalizeURL(text) == expected)
        #expect(TargetValue.normalizeURL(expected) == expected)
    }

    @Test(arguments: [
        "", "example.com/x", "example.com", "//example.com/", "1http://example.com/", "http:example.com",
        "http:/example.com/", "http://", "http:///x", "http://:80/", "http://user@/", "mailto:user@example.com",
        "http://exa mple.com/", "http://example.com/a b", "http://example.com/\t", "http://example.com/a\u{7F}",
        "http://bücher.example/", "http://example.com/ü", "http://example.com:99999/", "http://example.com:65536/",
        "http://example.com:8a/", "http://example.com:-1/", "http://example.com/%zz", "http://example.com/%4",
        "http://example.com/%", "http://ex_ample.com/", "http://localhost/", "http://1.2.3.999/",
        "http://%65xample.com/", "http://[::1%25eth0]/", "http://[v1.fe]/", "http://[::1/", "http://[::1]x/",
        "http://[example.com]/", "http://[1.2.3.4]/", "http://a@b@example.com/", "http://us[er@example.com/",
        "http://example.com/<x>", "http://example.com/{x}", "http://example.com/a\\b", "http://example.com/a[1]",
        "http://example.com/#a#b", "http://example.com/?q=\"x\"",
    ])
    func urlRejects(_ text: String) {
        #expect(TargetValue.normalizeURL(text) == nil)
    }

    static let dotSegmentVectors: [(String, String)] = [
        // RFC 3986 §5.2.4's two worked examples.
        ("/a/b/c/./../../g", "/a/g"),
        ("mid/content=5/../6", "mid/6"),
        ("", ""),
        ("/", "/"),
        ("/.", "/"),
        ("/..", "/"),
        ("/a/.", "/a/"),
        ("/a/..", "/"),
        ("/../a", "/a"),
        ("/a/b/../../..", "/"),
        ("/a//b/../c", "/a//c"),
        ("../x", "x"),
        ("./x", "x"),
        (".", ""),
        ("..", ""),
        ("/a/.b/..c/b..", "/a/.b/..c/b.."),
    ]

    @Test("RFC 3986 §5.2.4 remove_dot_segments", arguments: dotSegmentVectors)
    func removeDotSegments(_ path: String, _ expected: String) {
        let output = TargetValue.removeDotSegments(Array(path.utf8))
        #expect(String(decoding: output, as: UTF8.self) == expected)
    }

    // MARK: normalize(_:kind:)

    @Test func kindSpellings() {
        #expect(TargetKind.allCases.map(\.rawValue) == ["ip", "domain", "url", "server"])
    }

    static let kindVectors: [(String, TargetKind, String)] = [
        ("192.0.2.1", .ip, "192.0.2.1"),
        ("2001:DB8:0:0:0:0:0:1", .ip, "2001:db8::1"),
        ("Example.COM.", .domain, "example.com"),
        ("HTTPS://Example.com:443", .url, "https://example.com/"),
        ("192.0.2.1", .server, "192.0.2.1"),
        ("2001:DB8::1", .server, "2001:db8::1"),
        ("Host.Bücher.Example.", .server, "host.xn--bcher-kva.example"),
    ]

    @Test(arguments: kindVectors)
    func normalizeByKind(_ value: String, _ kind: TargetKind, _ expected: String) throws {
        #expect(try TargetValue.normalize(value, kind: kind) == expected)
    }

    /// The value, its kind, and words the message must contain to say what is wrong.
    static let rejectionVectors: [(String, TargetKind, String)] = [
        ("", .ip, "empty"),
        ("256.1.1.1", .ip, "greater than 255"),
        ("01.2.3.4", .ip, "leading zero"),
        ("example.com", .ip, "expected 4 decimal parts"),
        ("fe80::1%eth0", .ip, "zone IDs"),
        ("1::2::3", .ip, "only once"),
        ("1:2:3:4:5:6:7", .ip, "expected 8 groups"),
        ("ex_ample.com", .domain, "U+005F \"_\""),
        ("example", .domain, "at least two labels"),
        ("example..com", .domain, "empty"),
        ("example.123", .domain, "all digits"),
        ("-a.example", .domain, "starts or ends with \"-\""),
        ("exa\nmple.com", .domain, "\\u{A}"),
        ("http://exa mple.com/", .url, "space"),
        ("http://bücher.example/", .url, "non-ASCII"),
        ("http://example.com/\u{1}", .url, "control character"),
        ("example.com/x", .url, "no scheme"),
        ("http:example.com", .url, "no \"//\" authority"),
        ("http://", .url, "host is empty"),
        ("http://example.com:99999/", .url, "greater than 65535"),
        ("http://example.com:8a/", .url, "not a decimal number"),
        ("http://example.com/%zz", .url, "invalid percent-escape \"%zz\""),
        ("http://example.com/<x>", .url, "\"<\""),
        ("http://ex_ample.com/", .url, "host \"ex_ample.com\""),
        ("1.2.3.999", .server, "greater than 255"),
        ("exa mple.com", .server, "U+0020"),
        ("fe80::1%eth0", .server, "zone IDs"),
    ]

    @Test(arguments: rejectionVectors)
    func rejectionMessage(_ value: String, _ kind: TargetKind, _ words: String) {
        let error = #expect(throws: CoreError.self) { try TargetValue.normalize(value, kind: kind) }
        guard let message = error?.description else { return }
        #expect(message.contains("is not a valid \(kind.rawValue) target: "), "\(message)")
        #expect(message.contains(words), "\(message)")
        #expect(isOneLine(message), "\(message)")
    }

    @Test func messagesEscapeWhatCouldBreakOrSpoofThem() {
        for value in ["a\r\nb.com", "a\u{2028}b.com", "\u{202E}moc.elpmaxe", "a\"b\\c.com", "a\u{85}b.com"] {
            let error = #expect(throws: CoreError.self) { try TargetValue.normalize(value, kind: .domain) }
            guard let message = error?.description else { continue }
            #expect(isOneLine(message), "\(message)")
            #expect(!message.unicodeScalars.contains("\u{202E}"), "\(message)")
        }
        let error = #expect(throws: CoreError.self) {
            try TargetValue.normalize("a\"b\\c.com", kind: .domain)
        }
        #expect(error?.description.hasPrefix(#""a\"b\\c.com" is not a valid domain target"#) == true)
        // A leading combining mark would otherwise fuse with the opening quote.
        let mark = #expect(throws: CoreError.self) { try TargetValue.normalize("\u{308}a.com", kind: .domain) }
        #expect(mark?.description.hasPrefix(#""\u{308}a.com" is not a valid domain target"#) == true)
    }

    @Test func longValuesAreCutInMessages() {
        let value = String(repeating: "a", count: 10_000)
        let error = #expect(throws: CoreError.self) { try TargetValue.normalize(value, kind: .domain) }
        #expect((error?.description.count ?? .max) < 300)
    }

    private func isOneLine(_ message: String) -> Bool {
        !message.unicodeScalars.contains { scalar in
            switch scalar.properties.generalCategory {
            case .control, .lineSeparator, .paragraphSeparator: true
            default: false
            }
        }
    }
}
