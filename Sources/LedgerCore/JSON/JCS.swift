/// The JSON Canonicalization Scheme, RFC 8785.
public enum JCS {
    /// The canonical UTF-8 bytes of `value`.
    public static func serialize(_ value: JSONValue) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(256)
        write(value, to: &out)
        return out
    }

    /// Appends the canonical bytes of `value` to `out`.
    public static func write(_ value: JSONValue, to out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: [0x6e, 0x75, 0x6c, 0x6c])
        case .bool(true): out.append(contentsOf: [0x74, 0x72, 0x75, 0x65])
        case .bool(false): out.append(contentsOf: [0x66, 0x61, 0x6c, 0x73, 0x65])
        case .integer(let number): out.append(contentsOf: String(number).utf8)
        case .double(let number): out.append(contentsOf: serializeNumber(number).utf8)
        case .string(let text): writeString(text, to: &out)
        case .array(let values):
            out.append(UInt8(ascii: "["))
            for (index, element) in values.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                write(element, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (index, member) in sortedMembers(members).enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                writeString(member.name, to: &out)
                out.append(UInt8(ascii: ":"))
                write(member.value, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Members sorted as RFC 8785 §3.2.3 requires: by the UTF-16 code units of their names.
    package static func sortedMembers(_ members: [JSONMember]) -> [JSONMember] {
        var isSorted = true
        for index in members.indices.dropFirst() where !precedes(members[index - 1].name, members[index].name) {
            isSorted = false
            break
        }
        if isSorted { return members }
        return members.sorted { precedes($0.name, $1.name) }
    }

    /// UTF-16 code unit order; for ASCII names (the usual case) that is byte order, compared without UTF-16 views.
    package static func precedes(_ a: String, _ b: String) -> Bool {
        let ascii = a.utf8.withContiguousStorageIfAvailable { first in
            b.utf8.withContiguousStorageIfAvailable { second -> Bool? in
                guard first.allSatisfy({ $0 < 0x80 }), second.allSatisfy({ $0 < 0x80 }) else { return nil }
                return first.lexicographicallyPrecedes(second)
            }
        }
        if let ascii = ascii ?? nil, let result = ascii { return result }
        return a.utf16.lexicographicallyPrecedes(b.utf16)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// RFC 8785 §3.2.2.2: escape only '"', '\\' and control characters, with the short forms where JSON has them.
    package static func writeString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Most strings need no escaping: copy them whole.
        let copied = text.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            guard !bytes.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5c }) else { return false }
            out.append(contentsOf: bytes)
            return true
        }
        if copied == true {
            out.append(UInt8(ascii: "\""))
            return
        }
        for byte in text.utf8 {
            switch byte {
            case 0x22: out.append(contentsOf: [0x5c, 0x22])
            case 0x5c: out.append(contentsOf: [0x5c, 0x5c])
            case 0x08: out.append(contentsOf: [0x5c, UInt8(ascii: "b")])
            case 0x0c: out.append(contentsOf: [0x5c, UInt8(ascii: "f")])
            case 0x0a: out.append(contentsOf: [0x5c, UInt8(ascii: "n")])
            case 0x0d: out.append(contentsOf: [0x5c, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5c, UInt8(ascii: "t")])
            case 0x00..<0x20:
                out.append(contentsOf: [0x5c, UInt8(ascii: "u"), 0x30, 0x30])
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0f)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// RFC 8785 §3.2.2.3: the ECMAScript Number::toString form of a finite double (shortest round-trip digits).
    public static func serializeNumber(_ value: Double) -> String {
        precondition(value.isFinite, "JCS cannot serialize NaN or Infinity")
        if value == 0 { return "0" }
        if value < 0 { return "-" + serializeNumber(-value) }
        // Swift's description gives the shortest digits that round-trip, as ECMAScript requires;
        // only the layout differs. Extract the digits and the decimal exponent.
        let (digits, pointPosition) = decimalDigits(of: value)
        let k = digits.count
        let n = pointPosition
        if k <= n && n <= 21 {
            return digits + String(repeating: "0", count: n - k)
        }
        if 0 < n && n <= 21 {
            let index = digits.index(digits.startIndex, offsetBy: n)
            return String(digits[..<index]) + "." + String(digits[index...])
        }
        if -6 < n && n <= 0 {
            return "0." + String(repeating: "0", count: -n) + digits
        }
        let exponent = n - 1
        let sign = exponent >= 0 ? "+" : "-"
        let mantissa = k == 1 ? digits : String(digits.prefix(1)) + "." + String(digits.dropFirst())
        return mantissa + "e" + sign + String(abs(exponent))
    }

    /// The significant digits (no leading or trailing zeros) and n such that value = 0.digits × 10^n.
    private static func decimalDigits(of value: Double) -> (String, Int) {
        let text = value.description
        var mantissa = Substring(text)
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = text[..<e]
            exponent = Int(text[text.index(after: e)...]) ?? 0
        }
        var integerPart = mantissa
        var fractionPart: Substring = ""
        if let dot = mantissa.firstIndex(of: ".") {
            integerPart = mantissa[..<dot]
            fractionPart = mantissa[mantissa.index(after: dot)...]
        }
        var digits = String(integerPart) + String(fractionPart)
        var point = integerPart.count + exponent
        while digits.hasPrefix("0") {
            digits.removeFirst()
            point -= 1
        }
        while digits.hasSuffix("0") { digits.removeLast() }
        return (digits, point)
    }
}

/// Writes one JSON object in canonical form member by member, without building a tree first.
///
/// For records serialized often (a projection's rows): the caller adds the members already in JCS order, which
/// for the ASCII names used here is byte order; a debug build checks it.
package struct JCSObjectWriter {
    package private(set) var bytes: [UInt8] = []
    private var lastName: StaticString?

    package init(capacity: Int = 512) {
        bytes.reserveCapacity(capacity)
        bytes.append(UInt8(ascii: "{"))
    }

    private mutating func name(_ name: StaticString) {
        if let lastName {
            assert(
                UnsafeBufferPointer(start: lastName.utf8Start, count: lastName.utf8CodeUnitCount)
                    .lexicographicallyPrecedes(
                        UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)),
                "members out of JCS order")
            bytes.append(UInt8(ascii: ","))
        }
        lastName = name
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
    }

    /// A string member; left out when nil.
    package mutating func string(_ name: StaticString, _ value: String?) {
        guard let value else { return }
        self.name(name)
        JCS.writeString(value, to: &bytes)
    }

    /// An integer member; left out when nil.
    package mutating func integer(_ name: StaticString, _ value: Int64?) {
        guard let value else { return }
        self.name(name)
        bytes.append(contentsOf: String(value).utf8)
    }

    /// Any member, written by `JCS.write`.
    package mutating func value(_ name: StaticString, _ value: JSONValue) {
        self.name(name)
        JCS.write(value, to: &bytes)
    }

    /// A member whose value the caller writes into `bytes` itself.
    package mutating func raw(_ name: StaticString, _ write: (inout [UInt8]) -> Void) {
        self.name(name)
        write(&bytes)
    }

    /// The object's text, closed.
    package mutating func finish() -> String {
        String(decoding: finishBytes(), as: UTF8.self)
    }

    /// The object's bytes, closed.
    package mutating func finishBytes() -> [UInt8] {
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }

}
