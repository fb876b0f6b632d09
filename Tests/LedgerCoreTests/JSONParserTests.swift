import Foundation
import LedgerCore
import Testing

/// A JSON text the v1 profile must refuse, and a word the parser's reason must contain.
struct RejectedJSON: Sendable, CustomTestStringConvertible {
    let name: String
    let bytes: [UInt8]
    let reason: String

    init(_ name: String, _ text: String, reason: String) {
        self.init(name, Array(text.utf8), reason: reason)
    }

    init(_ name: String, _ bytes: [UInt8], reason: String) {
        self.name = name
        self.bytes = bytes
        self.reason = reason
    }

    var testDescription: String { name }
}

struct JSONParserTests {
    static func nested(_ depth: Int, open: String, close: String, innermost: String = "") -> String {
        String(repeating: open, count: depth) + innermost + String(repeating: close, count: depth)
    }

    static func nestedObjects(_ depth: Int) -> String {
        String(repeating: "{\"a\":", count: depth - 1) + "{}" + String(repeating: "}", count: depth - 1)
    }

    static let rejected: [RejectedJSON] = [
        // FORMAT.md §2 rule 2: duplicate member names, compared after unescaping.
        RejectedJSON("duplicate name", #"{"a":1,"a":2}"#, reason: "duplicate"),
        RejectedJSON("duplicate name with the same value", #"{"a":1,"b":0,"a":1}"#, reason: "duplicate"),
        RejectedJSON("duplicate name, one escaped", #"{"a":1,"\u0061":2}"#, reason: "duplicate"),
        RejectedJSON("duplicate name, both non-ASCII", #"{"é":1,"\u00e9":2}"#, reason: "duplicate"),
        RejectedJSON("duplicate name in a nested object", #"[{"x":{"k":1,"k":2}}]"#, reason: "duplicate"),
        RejectedJSON("duplicate empty name", #"{"":1,"":2}"#, reason: "duplicate"),
        // Rule 3: lone surrogates.
        RejectedJSON("lone high surrogate", #"["\ud800"]"#, reason: "surrogate"),
        RejectedJSON("lone high surrogate, uppercase", #"["\uDBFF"]"#, reason: "surrogate"),
        RejectedJSON("lone low surrogate", #"["\udc00"]"#, reason: "surrogate"),
        RejectedJSON("lone low surrogate, last", #"["\udfff"]"#, reason: "surrogate"),
        RejectedJSON("high surrogate then a letter", #"["\ud83dx"]"#, reason: "surrogate"),
        RejectedJSON("high surrogate then a non-surrogate escape", #"["\ud83d\u0041"]"#, reason: "surrogate"),
        RejectedJSON("high surrogate then another high", #"["\ud83d\ud83d"]"#, reason: "surrogate"),
        RejectedJSON("high surrogate then a short escape", #"["\ud83d\n"]"#, reason: "surrogate"),
        RejectedJSON("low then high (reversed pair)", #"["\ude02\ud83d"]"#, reason: "surrogate"),
        RejectedJSON("lone surrogate in a member name", #"{"\ud800":1}"#, reason: "surrogate"),
        // Rule 1: UTF-8 without a byte order mark.
        RejectedJSON("0xff in a string", [0x22, 0xff, 0x22], reason: "UTF-8"),
        RejectedJSON("lone continuation byte", [0x22, 0x80, 0x22], reason: "UTF-8"),
        RejectedJSON("overlong '/'", [0x22, 0xc0, 0xaf, 0x22], reason: "UTF-8"),
        RejectedJSON("overlong NUL", [0x22, 0xc0, 0x80, 0x22], reason: "UTF-8"),
        RejectedJSON("UTF-8-encoded surrogate", [0x22, 0xed, 0xa0, 0x80, 0x22], reason: "UTF-8"),
        RejectedJSON("truncated sequence", [0x22, 0xe2, 0x82, 0x22], reason: "UTF-8"),
        RejectedJSON("beyond U+10FFFF", [0x22, 0xf4, 0x90, 0x80, 0x80, 0x22], reason: "UTF-8"),
        RejectedJSON("invalid UTF-8 after an escape", [0x22, 0x5c, 0x6e, 0xff, 0x22], reason: "UTF-8"),
        RejectedJSON("invalid UTF-8 in a member name", [0x7b, 0x22, 0xfe, 0x22, 0x3a, 0x31, 0x7d], reason: "UTF-8"),
        RejectedJSON("invalid byte outside strings", [0x5b, 0xff, 0x5d], reason: "unexpected character"),
        RejectedJSON("byte order mark", [0xef, 0xbb, 0xbf] + Array("{}".utf8), reason: "byte order mark"),
        RejectedJSON(
            "byte order mark before a string", [0xef, 0xbb, 0xbf] + Array("\"a\"".utf8), reason: "byte order mark"),
        // Trailing data.
        RejectedJSON("two values", "{} {}", reason: "after the JSON value"),
        RejectedJSON("two numbers", "1 2", reason: "after the JSON value"),
        RejectedJSON("extra bracket", "[]]", reason: "after the JSON value"),
        RejectedJSON("trailing letter", "{}x", reason: "after the JSON value"),
        RejectedJSON("trailing comma", "1,", reason: "after the JSON value"),
        RejectedJSON("trailing NUL", [0x31, 0x00], reason: "after the JSON value"),
        // Rule 4: integers within ±(2^53−1) only.
        RejectedJSON("fraction 1.5", "1.5", reason: "only integers"),
        RejectedJSON("exponent 1e2", "1e2", reason: "only integers"),
        RejectedJSON("integral fraction 1.0", "1.0", reason: "only integers"),
        RejectedJSON("exponent 1E2", "1E2", reason: "only integers"),
        RejectedJSON("exponent 1e0", "1e0", reason: "only integers"),
        RejectedJSON("exponent 1e+2", "1e+2", reason: "only integers"),
        RejectedJSON("zero fraction 0.0", "0.0", reason: "only integers"),
        RejectedJSON("negative fraction", "-1.5", reason: "only integers"),
        RejectedJSON("fraction inside an object", #"{"n":2.5}"#, reason: "only integers"),
        RejectedJSON("2^53", "9007199254740992", reason: "only integers"),
        RejectedJSON("-(2^53)", "-9007199254740992", reason: "only integers"),
        RejectedJSON("Int64.max", "9223372036854775807", reason: "only integers"),
        RejectedJSON("2^64", "18446744073709551616", reason: "only integers"),
        RejectedJSON("a hundred digits", String(repeating: "9", count: 100), reason: "only integers"),
        RejectedJSON("minus zero", "-0", reason: "-0"),
        RejectedJSON("minus zero in an array", "[1,-0]", reason: "-0"),
        // Rule 5: depth.
        RejectedJSON("33 nested arrays", nested(33, open: "[", close: "]"), reason: "nesting"),
        RejectedJSON("33 nested objects", nestedObjects(33), reason: "nesting"),
        RejectedJSON("33 nested, mixed", "{\"a\":" + nested(32, open: "[", close: "]") + "}", reason: "nesting"),
        // RFC 8259 number grammar.
        RejectedJSON("leading zero", "01", reason: "leading zero"),
        RejectedJSON("negative leading zero", "-01", reason: "leading zero"),
        RejectedJSON("double zero", "00", reason: "leading zero"),
        RejectedJSON("leading zero in an array", "[007]", reason: "leading zero"),
        RejectedJSON("plus sign", "+1", reason: "unexpected character"),
        RejectedJSON("bare minus", "-", reason: "invalid number"),
        RejectedJSON("bare point", "1.", reason: "fraction"),
        RejectedJSON("bare exponent", "1e", reason: "exponent"),
        // RFC 8259 strings: unescaped control characters.
        RejectedJSON("unescaped newline", "[\"a\nb\"]", reason: "control character"),
        RejectedJSON("unescaped tab", "\"\t\"", reason: "control character"),
        RejectedJSON("unescaped NUL", [0x22, 0x00, 0x22], reason: "control character"),
        RejectedJSON("unescaped 0x1f after an escape", [0x22, 0x5c, 0x74, 0x1f, 0x22], reason: "control character"),
        RejectedJSON(
            "unescaped control character in a name", [0x7b, 0x22, 0x01, 0x22, 0x3a, 0x31, 0x7d],
            reason: "control character"),
        // Other grammar.
        RejectedJSON("invalid escape", #""\x41""#, reason: "invalid escape"),
        RejectedJSON("short \\u escape", #""\u12""#, reason: "\\u escape"),
        RejectedJSON("unterminated string", "\"abc", reason: "unterminated"),
        RejectedJSON("single quotes", "'a'", reason: "unexpected character"),
        RejectedJSON("empty input", "", reason: "end of input"),
        RejectedJSON("only whitespace", " \n", reason: "end of input"),
        RejectedJSON("trailing comma in an array", "[1,]", reason: "unexpected character"),
        RejectedJSON("trailing comma in an object", #"{"a":1,}"#, reason: "member name"),
        RejectedJSON("unquoted name", "{a:1}", reason: "member name"),
        RejectedJSON("capitalized literal", "True", reason: "unexpected character"),
        RejectedJSON("truncated literal", "nul", reason: "end of input"),
    ]

    @Test("The v1 profile refuses, naming the problem", arguments: rejected)
    func rejects(_ json: RejectedJSON) {
        let error = #expect(throws: JSONError.self) { try JSONParser.parse(json.bytes, profile: .ledgerV1) }
        #expect(error?.reason.contains(json.reason) == true, "reason was: \(error?.reason ?? "none")")
    }

    @Test("Every control character 0x00…0x1f is refused unescaped and accepted escaped", arguments: 0..<0x20)
    func controlCharacter(_ code: Int) throws {
        let byte = UInt8(code)
        #expect(throws: JSONError.self) { try JSONParser.parse([0x22, byte, 0x22]) }
        #expect(throws: JSONError.self) { try JSONParser.parse([0x22, 0x5c, 0x2f, byte, 0x22]) }
        let hex = String(code, radix: 16)
        let escaped = "\"\\u" + String(repeating: "0", count: 4 - hex.count) + hex + "\""
        let value = try JSONParser.parse(escaped)
        #expect(value.stringValue?.unicodeScalars.map(\.value) == [UInt32(code)])
    }

    @Test("Parsing with the default profile is the v1 profile")
    func defaultIsV1() {
        #expect(throws: JSONError.self) { try JSONParser.parse("1.5") }
        #expect(throws: JSONError.self) { try JSONParser.parse(Self.nested(33, open: "[", close: "]")) }
    }

    @Test("Canonically equivalent but different names are different members")
    func unicodeEquivalentNamesAreDistinct() throws {
        let precomposed = "\u{00E9}"
        let decomposed = "e\u{0301}"
        #expect(Array(precomposed.utf8) != Array(decomposed.utf8))
        let text = "{\"\(precomposed)\":1,\"\(decomposed)\":2}"
        let value = try JSONParser.parse(Array(text.utf8))
        let members = try #require(value.objectMembers)
        #expect(members.count == 2)
        #expect(value.member(precomposed) == .integer(1))
        #expect(value.member(decomposed) == .integer(2))
        // JCS orders by UTF-16 code units: "e" (0x65) sorts before "é" (0xe9).
        #expect(JCS.serialize(value) == Array("{\"\(decomposed)\":2,\"\(precomposed)\":1}".utf8))

        // The same through escapes.
        let escaped = try JSONParser.parse(#"{"\u00e9":1,"e\u0301":2}"#)
        #expect(escaped.objectMembers?.count == 2)
        #expect(escaped.member(decomposed) == .integer(2))
    }

    @Test(
        "Valid surrogate pairs decode to their scalar",
        arguments: [
            (#""\ud83d\ude02""#, 0x1F602),
            (#""\uD83D\uDE02""#, 0x1F602),
            (#""\ud800\udc00""#, 0x10000),
            (#""\udbff\udfff""#, 0x10FFFF),
            (#""\ud834\udd1e""#, 0x1D11E),
        ])
    func surrogatePair(text: String, scalar: UInt32) throws {
        let value = try JSONParser.parse(text)
        #expect(value.stringValue?.unicodeScalars.map(\.value) == [scalar])
        let expectedUTF8 = Array(String(Character(try #require(Unicode.Scalar(scalar)))).utf8)
        #expect(JCS.serialize(value) == [0x22] + expectedUTF8 + [0x22])
    }

    @Test("Surrogate pairs in member names and with surrounding text")
    func surrogatePairInContext() throws {
        let value = try JSONParser.parse(#"{"a\ud83d\ude02b":"x\ud83d\ude02\ud83d\ude02y"}"#)
        #expect(value.member("a😂b") == .string("x😂😂y"))
    }

    @Test("All RFC 8259 escapes decode")
    func escapes() throws {
        let value = try JSONParser.parse(#""\"\\\/\b\f\n\r\t\u0000\u001f\u0041\u00e9\u20ac\uffff\uFFFE""#)
        let expected: [UInt32] = [
            0x22, 0x5c, 0x2f, 0x08, 0x0c, 0x0a, 0x0d, 0x09, 0x00, 0x1f, 0x41, 0xe9, 0x20ac, 0xffff, 0xfffe,
        ]
        #expect(value.stringValue?.unicodeScalars.map(\.value) == expected)
        // Mixed with literal text and valid multi-byte UTF-8 on both sides of escapes.
        #expect(try JSONParser.parse(#""é\n€\t😂""#) == .string("é\n€\t😂"))
    }

    @Test("Depth 32 is accepted: the outermost value is depth 1")
    func depth32() throws {
        let arrays = Self.nested(32, open: "[", close: "]")
        var value = try JSONParser.parse(arrays)
        var depth = 1
        while let inner = value.arrayValue?.first {
            value = inner
            depth += 1
        }
        #expect(depth == 32)
        #expect(throws: Never.self) { try JSONParser.parse(Self.nested(32, open: "[", close: "]", innermost: "1")) }
        #expect(throws: Never.self) { try JSONParser.parse(Self.nestedObjects(32)) }
        #expect(throws: Never.self) { try JSONParser.parse("{\"a\":" + Self.nested(31, open: "[", close: "]") + "}") }
        // The general profile allows deeper nesting.
        #expect(throws: Never.self) { try JSONParser.parse(Self.nested(33, open: "[", close: "]"), profile: .general) }
    }

    @Test("Integers at the v1 limits and ordinary values are accepted")
    func acceptedValues() throws {
        #expect(try JSONParser.parse("9007199254740991") == .integer(9_007_199_254_740_991))
        #expect(try JSONParser.parse("-9007199254740991") == .integer(-9_007_199_254_740_991))
        #expect(try JSONParser.parse("0") == .integer(0))
        #expect(try JSONParser.parse("-1") == .integer(-1))
        #expect(try JSONParser.parse("10") == .integer(10))
        #expect(try JSONParser.parse(" \t\r\n{} \n") == .object([]))
        #expect(try JSONParser.parse("[null,true,false,\"\",[],{}]") == [nil, true, false, "", [], [:]])
        #expect(try JSONParser.parse("\"\u{7f}\"") == .string("\u{7f}"))
    }

    @Test("The general profile accepts fractions and exponents")
    func generalProfileNumbers() throws {
        #expect(try JSONParser.parse("1.5", profile: .general) == .double(1.5))
        #expect(try JSONParser.parse("1e2", profile: .general) == .double(100))
        #expect(try JSONParser.parse("-0", profile: .general) == .double(-0.0))
        #expect(throws: JSONError.self) { try JSONParser.parse("1e400", profile: .general) }
        #expect(throws: JSONError.self) { try JSONParser.parse("01", profile: .general) }
    }

    @Test("The smallest Int64 is refused like any other out-of-range integer, without crashing")
    func int64Min() async {
        // Int64.min once trapped in abs(); run it in a child process so a regression fails this test instead of
        // killing the run.
        await #expect(processExitsWith: .success) {
            do throws(JSONError) {
                _ = try JSONParser.parse("-9223372036854775808")
                exit(1)
            } catch {
                exit(error.reason.contains("only integers") ? 0 : 1)
            }
        }
    }
}
