import LedgerCrypto

/// What a parse accepts.
public struct JSONProfile: Sendable {
    /// Maximum nesting depth (the outermost value is depth 1).
    public var maxDepth: Int
    /// When true, every number must be an integer within ±(2^53 − 1) (FORMAT.md §2 rule 4).
    public var integersOnly: Bool
    /// When true, only RFC 8785 canonical text is accepted.
    ///
    /// No whitespace, members in JCS order, strings escaped exactly as JCS writes them, and numbers integers only
    /// (every integer the parser accepts is written as JCS writes it), so that whatever such a parse accepts
    /// re-serializes to the very bytes it read.
    package var canonical: Bool = false

    /// The v1 ledger profile: depth ≤ 32, integers only (FORMAT.md §2).
    public static let ledgerV1 = JSONProfile(maxDepth: 32, integersOnly: true)
    /// The ledger profile restricted to canonical text (FORMAT.md §2 rule 1): what a stored record must be.
    package static let ledgerCanonical: JSONProfile = {
        var profile = JSONProfile.ledgerV1
        profile.canonical = true
        return profile
    }()
    /// Plain RFC 8259 JSON with any finite numbers, for the canonicalizer's own inputs.
    public static let general = JSONProfile(maxDepth: 512, integersOnly: false)

    /// Makes a profile.
    public init(maxDepth: Int, integersOnly: Bool) {
        self.maxDepth = maxDepth
        self.integersOnly = integersOnly
    }
}

/// A JSON text that the parser rejects, with the byte offset where the problem was found.
public struct JSONError: Error, Sendable, CustomStringConvertible {
    /// Byte offset of the problem in the input.
    public let offset: Int
    /// The problem in words.
    public let reason: String

    /// One line for a user: `invalid JSON at byte N: reason`.
    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}

/// A strict RFC 8259 parser: rejects duplicate member names, lone surrogates, invalid UTF-8, a byte order mark,
/// trailing data and (by profile) non-integers and deep nesting.
public enum JSONParser {
    /// Parses one JSON text.
    public static func parse(_ bytes: [UInt8], profile: JSONProfile = .ledgerV1) throws(JSONError) -> JSONValue {
        try bytes.withUnsafeBufferPointer { buffer throws(JSONError) in
            var parser = Parser(bytes: buffer, profile: profile)
            parser.skipWhitespace()
            let value = try parser.parseValue(depth: 1)
            parser.skipWhitespace()
            guard parser.position == buffer.count else { throw parser.error("unexpected data after the JSON value") }
            return value
        }
    }

    /// Parses one JSON text given as a string.
    public static func parse(_ text: String, profile: JSONProfile = .ledgerV1) throws(JSONError) -> JSONValue {
        try parse(Array(text.utf8), profile: profile)
    }
}

/// A cursor over JSON bytes for a decoder that knows the layout to expect (canonical records): it matches exact
/// bytes between values and parses each value with the strict parser's rules.
struct JSONCursor: ~Copyable {
    private var parser: Parser

    init(_ bytes: UnsafeBufferPointer<UInt8>, profile: JSONProfile) {
        parser = Parser(bytes: bytes, profile: profile)
    }

    /// Consumes `literal` when the bytes at the cursor are exactly it; false (consuming nothing) otherwise.
    mutating func skip(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard parser.position + count <= parser.bytes.count else { return false }
        let expected = UnsafeBufferPointer(start: literal.utf8Start, count: count)
        for index in 0..<count where parser.bytes[parser.position + index] != expected[index] { return false }
        parser.position += count
        return true
    }

    /// True when every byte is consumed.
    var isAtEnd: Bool { parser.position == parser.bytes.count }

    /// How many bytes are consumed.
    var position: Int { parser.position }

    /// The string at the cursor, or nil when the cursor is not at a string.
    mutating func string() throws(JSONError) -> String? {
        guard parser.position < parser.bytes.count, parser.bytes[parser.position] == UInt8(ascii: "\"") else {
            return nil
        }
        return try parser.parseString()
    }

    /// The integer at the cursor (within the profile's limits), or nil when the cursor is not at an integer.
    mutating func integer() throws(JSONError) -> Int64? {
        guard parser.position < parser.bytes.count else { return nil }
        let byte = parser.bytes[parser.position]
        guard byte == UInt8(ascii: "-") || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) else { return nil }
        return try parser.parseNumber().integerValue
    }

    /// The JSON value at the cursor, nested at `depth`.
    mutating func value(depth: Int) throws(JSONError) -> JSONValue { try parser.parseValue(depth: depth) }

    /// The string at the cursor, or nil when the cursor is not at a string.
    ///
    /// Returns `previous` itself when the text is exactly its bytes, so that a value repeated from record to record
    /// (an origin, an actor, a type) is stored once; `previous` must be ``isPlain(_:)``.
    mutating func string(reusing previous: String?) throws(JSONError) -> (text: String, reused: Bool)? {
        guard parser.position < parser.bytes.count, parser.bytes[parser.position] == UInt8(ascii: "\"") else {
            return nil
        }
        if let previous {
            assert(Self.isPlain(previous), "only plain strings may be reused")
            let start = parser.position + 1
            // A plain string is written as its bytes between quotes, and no other text decodes to it.
            let same =
                previous.utf8.withContiguousStorageIfAvailable { mine -> Bool in
                    guard start + mine.count < parser.bytes.count,
                        parser.bytes[start + mine.count] == UInt8(ascii: "\"")
                    else { return false }
                    for index in 0..<mine.count where parser.bytes[start + index] != mine[index] { return false }
                    return true
                } ?? false
            if same {
                parser.position = start + previous.utf8.count + 1
                return (previous, true)
            }
        }
        return (try parser.parseString(), false)
    }

    /// True when `text` needs no escaping in JSON: no quote, backslash or control character.
    static func isPlain(_ text: String) -> Bool {
        !text.utf8.contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }
    }
}

private struct Parser {
    let bytes: UnsafeBufferPointer<UInt8>
    let profile: JSONProfile
    var position = 0
    /// Members and elements of the objects and arrays being parsed, innermost last: each container is copied out
    /// once, at its exact size, instead of growing an array of its own append by append.
    var memberStack: [JSONMember] = []
    var elementStack: [JSONValue] = []

    init(bytes: UnsafeBufferPointer<UInt8>, profile: JSONProfile) {
        self.bytes = bytes
        self.profile = profile
    }

    func error(_ reason: String) -> JSONError { JSONError(offset: position, reason: reason) }

    /// The member stack's first capacity: as many members as fit in 1,000 bytes with the array's header.
    ///
    /// So its one allocation per parse comes from glibc's per-thread cache (blocks up to 1,032 bytes). A larger
    /// block goes to the arena, which first consolidates the small blocks freed since (a verify frees many).
    static let initialMembers = max(8, (1000 - 32) / MemoryLayout<JSONMember>.stride)

    mutating func skipWhitespace() {
        // Canonical text has no whitespace: what would be skipped is left for the caller to reject.
        if profile.canonical { return }
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x0a, 0x0d, 0x09: position += 1
            default: return
            }
        }
    }

    mutating func parseValue(depth: Int) throws(JSONError) -> JSONValue {
        guard position < bytes.count else { throw error("unexpected end of input") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth)
        case UInt8(ascii: "["): return try parseArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        case 0xef where position == 0: throw error("a byte order mark is not allowed")
        default: throw error("unexpected character")
        }
    }

    mutating func expectLiteral(_ literal: StaticString) throws(JSONError) {
        let count = literal.utf8CodeUnitCount
        guard position + count <= bytes.count else { throw error("unexpected end of input") }
        let expected = UnsafeBufferPointer(start: literal.utf8Start, count: count)
        for index in 0..<count where bytes[position + index] != expected[index] {
            throw error("invalid literal")
        }
        position += count
    }

    mutating func parseObject(depth: Int) throws(JSONError) -> JSONValue {
        guard depth <= profile.maxDepth else { throw error("nesting deeper than \(profile.maxDepth)") }
        position += 1
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
            position += 1
            return .object([])
        }
        // An entry's open objects hold about twenty members at most: room for them in one allocation.
        if memberStack.capacity == 0 { memberStack.reserveCapacity(Self.initialMembers) }
        let base = memberStack.count
        while true {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                throw error("expected a member name")
            }
            let nameOffset = position
            let name = try parseString()
            if profile.canonical {
                // JCS order, strictly: no duplicates either.
                if memberStack.count > base, !JCS.precedes(memberStack[memberStack.count - 1].name, name) {
                    throw JSONError(offset: nameOffset, reason: "members are not in RFC 8785 order")
                }
            } else {
                try checkUnique(name, at: nameOffset, from: base)
            }
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw error("expected ':'") }
            position += 1
            skipWhitespace()
            let value = try parseValue(depth: depth + 1)
            memberStack.append(JSONMember(name, value))
            skipWhitespace()
            guard position < bytes.count else { throw error("unexpected end of input in an object") }
            if bytes[position] == UInt8(ascii: ",") {
                position += 1
                continue
            }
            guard bytes[position] == UInt8(ascii: "}") else { throw error("expected ',' or '}'") }
            position += 1
            return .object(Self.pop(&memberStack, from: base, placeholder: JSONMember("", .null)))
        }
    }

    /// Throws when an earlier member of the object being parsed (from `base` on the stack) has the name `name`.
    func checkUnique(_ name: String, at offset: Int, from base: Int) throws(JSONError) {
        // `==` is only a fast filter: byte-equal names are always canonically equal, not the reverse.
        let nameCount = name.utf8.count
        for index in base..<memberStack.count {
            let other = memberStack[index].name
            if other.utf8.count == nameCount && other.hasSameBytes(as: name) {
                throw JSONError(offset: offset, reason: "duplicate member name \"\(name)\"")
            }
        }
    }

    /// Moves the elements of `stack` from `base` on into an array of their own, without copying or releasing
    /// them, and shortens the stack to `base`.
    ///
    /// A parser that threw leaves elements on its stacks: it is not used again.
    static func pop<Element>(_ stack: inout [Element], from base: Int, placeholder: Element) -> [Element] {
        let count = stack.count - base
        guard count > 0 else { return [] }
        let popped = stack.withUnsafeMutableBufferPointer { buffer in
            guard let start = buffer.baseAddress else { preconditionFailure("a non-empty stack has a base address") }
            let source = start + base
            let moved = [Element](unsafeUninitializedCapacity: count) { storage, initialized in
                guard let target = storage.baseAddress else {
                    preconditionFailure("storage of a non-zero capacity has a base address")
                }
                target.moveInitialize(from: source, count: count)
                initialized = count
            }
            // The moved-from slots hold values that own nothing, for `removeLast` to drop.
            source.initialize(repeating: placeholder, count: count)
            return moved
        }
        stack.removeLast(count)
        return popped
    }

    mutating func parseArray(depth: Int) throws(JSONError) -> JSONValue {
        guard depth <= profile.maxDepth else { throw error("nesting deeper than \(profile.maxDepth)") }
        position += 1
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
            position += 1
            return .array([])
        }
        let base = elementStack.count
        while true {
            skipWhitespace()
            let value = try parseValue(depth: depth + 1)
            elementStack.append(value)
            skipWhitespace()
            guard position < bytes.count else { throw error("unexpected end of input in an array") }
            if bytes[position] == UInt8(ascii: ",") {
                position += 1
                continue
            }
            guard bytes[position] == UInt8(ascii: "]") else { throw error("expected ',' or ']'") }
            position += 1
            return .array(Self.pop(&elementStack, from: base, placeholder: .null))
        }
    }

    mutating func parseString() throws(JSONError) -> String {
        position += 1
        let start = position
        // Fast path: no escapes. Validate UTF-8 and control characters while scanning.
        var ascii = true
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let slice = UnsafeBufferPointer(rebasing: bytes[start..<position])
                // ASCII is valid UTF-8: decode it directly (the generic validating initializer is far slower).
                let decoded = ascii ? String(decoding: slice, as: UTF8.self) : String(validating: slice, as: UTF8.self)
                guard let text = decoded else {
                    throw JSONError(offset: start, reason: "invalid UTF-8 in a string")
                }
                position += 1
                return text
            }
            if byte >= 0x80 { ascii = false }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw error("unescaped control character in a string") }
            position += 1
        }
        guard position < bytes.count else { throw error("unterminated string") }
        // Slow path with escapes: collect UTF-8 bytes.
        var out = [UInt8](UnsafeBufferPointer(rebasing: bytes[start..<position]))
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                position += 1
                guard let text = String(validating: out, as: UTF8.self) else {
                    throw JSONError(offset: start, reason: "invalid UTF-8 in a string")
                }
                return text
            }
            if byte < 0x20 { throw error("unescaped control character in a string") }
            if byte != UInt8(ascii: "\\") {
                out.append(byte)
                position += 1
                continue
            }
            position += 1
            guard position < bytes.count else { throw error("unterminated escape") }
            let escape = bytes[position]
            position += 1
            switch escape {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5c)
            case UInt8(ascii: "/"):
                if profile.canonical { throw error("\\/ is not how RFC 8785 writes /") }
                out.append(0x2f)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0c)
            case UInt8(ascii: "n"): out.append(0x0a)
            case UInt8(ascii: "r"): out.append(0x0d)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                let unit = try parseHex4()
                if profile.canonical {
                    // RFC 8785 §3.2.2.2: \u only for control characters without a short form, in lowercase hex.
                    let shortForms: [UInt16] = [0x08, 0x09, 0x0a, 0x0c, 0x0d]
                    let digits = UnsafeBufferPointer(rebasing: bytes[(position - 4)..<position])
                    guard unit < 0x20, !shortForms.contains(unit),
                        !digits.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "F") })
                    else { throw error("\\u escape not in RFC 8785 form") }
                }
                var scalarValue = UInt32(unit)
                if (0xD800...0xDBFF).contains(unit) {
                    guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
                        bytes[position + 1] == UInt8(ascii: "u")
                    else { throw error("lone surrogate \\u\(String(unit, radix: 16))") }
                    position += 2
                    let low = try parseHex4()
                    guard (0xDC00...0xDFFF).contains(low) else {
                        throw error("lone surrogate \\u\(String(unit, radix: 16))")
                    }
                    scalarValue = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(unit) {
                    throw error("lone surrogate \\u\(String(unit, radix: 16))")
                }
                guard let scalar = Unicode.Scalar(scalarValue) else { throw error("invalid \\u escape") }
                out.append(contentsOf: Array(String(Character(scalar)).utf8))
            default: throw error("invalid escape")
            }
        }
        throw error("unterminated string")
    }

    mutating func parseHex4() throws(JSONError) -> UInt16 {
        guard position + 4 <= bytes.count else { throw error("truncated \\u escape") }
        var value: UInt16 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt16
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt16(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt16(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt16(byte - UInt8(ascii: "A") + 10)
            default: throw error("invalid hex digit in \\u escape")
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    mutating func parseNumber() throws(JSONError) -> JSONValue {
        let start = position
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        guard position < bytes.count, isDigit(bytes[position]) else { throw error("invalid number") }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
            if position < bytes.count, isDigit(bytes[position]) { throw error("leading zero in a number") }
        } else {
            while position < bytes.count, isDigit(bytes[position]) { position += 1 }
        }
        var isInteger = true
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            guard position < bytes.count, isDigit(bytes[position]) else { throw error("invalid fraction") }
            while position < bytes.count, isDigit(bytes[position]) { position += 1 }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            isInteger = false
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                position += 1
            }
            guard position < bytes.count, isDigit(bytes[position]) else { throw error("invalid exponent") }
            while position < bytes.count, isDigit(bytes[position]) { position += 1 }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        if isInteger, let value = Int64(text), value.magnitude <= UInt64(JSONValue.maxSafeInteger) {
            if value == 0 && text.hasPrefix("-") {
                if profile.integersOnly || profile.canonical {
                    throw JSONError(offset: start, reason: "-0 is not allowed")
                }
                return .double(-0.0)
            }
            return .integer(value)
        }
        // A canonical parse reads integers only: JCS writes them as Int64's description, which the checks above
        // guarantee; other numbers have forms JCS would not write.
        if profile.integersOnly || profile.canonical {
            throw JSONError(offset: start, reason: "only integers within ±(2^53−1) are allowed, not \(text)")
        }
        guard let value = Double(text), value.isFinite else {
            throw JSONError(offset: start, reason: "number out of range")
        }
        return .double(value)
    }

    func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
}
