import Foundation
import LedgerCore
import LedgerTestSupport
import Testing

/// One line of Tests/Vectors/jcs/numbers.txt: an IEEE 754 bit pattern and its RFC 8785 serialization.
struct NumberVector: Sendable, CustomTestStringConvertible {
    let line: Int
    let bits: UInt64
    let expected: String

    var testDescription: String { "line \(line): \(String(bits, radix: 16)) → \(expected)" }
}

struct JCSVectorTests {
    static let cases = ["arrays", "french", "structures", "unicode", "values", "weird"]

    /// Every line of numbers.txt.
    ///
    /// The file has no NaN or Infinity lines (checked: no pattern has the exponent
    /// 0x7ff), and ``numbersFileIsFiniteAndComplete()`` keeps it that way, so nothing is skipped.
    static func numberVectors() throws -> [NumberVector] {
        let text = String(decoding: try TestVectors.data("jcs/numbers.txt"), as: UTF8.self)
        var vectors: [NumberVector] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where !line.isEmpty {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count == 2, let bits = UInt64(fields[0], radix: 16) else {
                throw VectorFileError(description: "numbers.txt line \(index + 1) is not hex-ieee,expected: \(line)")
            }
            vectors.append(NumberVector(line: index + 1, bits: bits, expected: String(fields[1])))
        }
        return vectors
    }

    @Test("RFC 8785 test data: input parses and serializes to exactly the output bytes", arguments: cases)
    func inputToOutput(name: String) throws {
        let input = [UInt8](try TestVectors.data("jcs/input/\(name).json"))
        let expected = [UInt8](try TestVectors.data("jcs/output/\(name).json"))
        let value = try JSONParser.parse(input, profile: .general)
        let serialized = JCS.serialize(value)
        #expect(
            serialized == expected,
            "got \(String(decoding: serialized, as: UTF8.self))")
    }

    @Test("Canonical output is a fixed point: parsing and serializing it again changes nothing", arguments: cases)
    func outputIsFixedPoint(name: String) throws {
        let expected = [UInt8](try TestVectors.data("jcs/output/\(name).json"))
        #expect(JCS.serialize(try JSONParser.parse(expected, profile: .general)) == expected)
    }

    @Test("ECMAScript number serialization of every numbers.txt line", arguments: try numberVectors())
    func number(_ vector: NumberVector) {
        let value = Double(bitPattern: vector.bits)
        #expect(JCS.serializeNumber(value) == vector.expected)
    }

    @Test("numbers.txt has all 5,000 lines and every one is finite")
    func numbersFileIsFiniteAndComplete() throws {
        let vectors = try Self.numberVectors()
        #expect(vectors.count == 5000)
        #expect(vectors.allSatisfy { Double(bitPattern: $0.bits).isFinite })
    }

    @Test("Integers serialize as plain decimal, including the v1 limits")
    func integers() {
        #expect(JCS.serialize(.integer(0)) == Array("0".utf8))
        #expect(JCS.serialize(.integer(-1)) == Array("-1".utf8))
        #expect(JCS.serialize(.integer(JSONValue.maxSafeInteger)) == Array("9007199254740991".utf8))
        #expect(JCS.serialize(.integer(-JSONValue.maxSafeInteger)) == Array("-9007199254740991".utf8))
        #expect(JCS.serialize(.double(-0.0)) == Array("0".utf8))
    }
}

/// A vector file that does not have the expected form.
struct VectorFileError: Error, CustomStringConvertible {
    let description: String
}
