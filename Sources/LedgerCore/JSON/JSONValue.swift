import LedgerCrypto

/// A JSON value as the ledger reads and writes it.
///
/// Object members keep their names as Swift strings, but every comparison of names goes through their UTF-8
/// bytes (``JSONValue/member(_:)``), never through `String ==`, which would treat canonically equivalent but
/// different byte sequences as equal.
public enum JSONValue: Sendable, Equatable {
    /// JSON `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// An integer within ±(2^53 − 1), the only numbers a v1 record may hold.
    case integer(Int64)
    /// Any other finite number (only the RFC 8785 canonicalizer and its vectors use these).
    case double(Double)
    /// A string; one the parser returns was valid UTF-8 without lone surrogates.
    case string(String)
    /// An array's elements, in order.
    case array([JSONValue])
    /// An object's members in the order they were written; the parser rejects duplicate names.
    case object([JSONMember])

    /// The largest magnitude of an integer a v1 record may hold, 2^53 − 1.
    public static let maxSafeInteger: Int64 = 9_007_199_254_740_991

    /// The value of the member named `name` (compared as UTF-8 bytes), if this is an object that has it.
    public func member(_ name: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        // `==` (fast, but Unicode-equivalence) only filters; the bytes decide.
        for member in members where member.name.hasSameBytes(as: name) {
            return member.value
        }
        return nil
    }

    /// The string, if this is one.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The integer, if this is one.
    public var integerValue: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }

    /// The members, if this is an object.
    public var objectMembers: [JSONMember]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// The elements, if this is an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let values) = self { return values }
        return nil
    }

    /// The names of this object's members, if this is an object.
    public var memberNames: [String]? { objectMembers?.map(\.name) }

    /// Equal as JSON data: strings compared byte for byte, objects whatever the order of their members.
    ///
    /// An integer never equals a double, even of the same value; doubles compare as `Double` does (NaN is never equal).
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case (.bool(let a), .bool(let b)): a == b
        case (.integer(let a), .integer(let b)): a == b
        case (.double(let a), .double(let b)): a == b
        case (.string(let a), .string(let b)): a.hasSameBytes(as: b)
        case (.array(let a), .array(let b)): a == b
        case (.object(let a), .object(let b)): JCS.sortedMembers(a) == JCS.sortedMembers(b)
        default: false
        }
    }
}

/// One member of a JSON object.
public struct JSONMember: Sendable, Equatable {
    /// The member name.
    public var name: String
    /// The member value.
    public var value: JSONValue

    /// Makes a member.
    public init(_ name: String, _ value: JSONValue) {
        self.name = name
        self.value = value
    }

    /// The same name, byte for byte, and equal values.
    public static func == (lhs: JSONMember, rhs: JSONMember) -> Bool {
        lhs.name.hasSameBytes(as: rhs.name) && lhs.value == rhs.value
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    /// The string `value`.
    public init(stringLiteral value: String) { self = .string(value) }
    /// The integer `value`; the ledger profile's ±(2^53 − 1) bound is checked when a text is parsed, not here.
    public init(integerLiteral value: Int64) { self = .integer(value) }
    /// `true` or `false`.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// An array of `elements`, in order.
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    /// An object with these members in the order written; duplicate names are not rejected here.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(elements.map { JSONMember($0.0, $0.1) })
    }
    /// JSON `null`.
    public init(nilLiteral: ()) { self = .null }
}
