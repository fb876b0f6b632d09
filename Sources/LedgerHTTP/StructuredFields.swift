import LedgerCrypto

/// The part of RFC 8941 (Structured Field Values) that HTTP message signatures use: dictionaries whose members are
/// items or inner lists, with parameters; strings, tokens, integers, booleans and byte sequences.
public enum StructuredField {
    /// A bare item (RFC 8941 §3.3).
    public enum BareItem: Sendable, Equatable {
        case integer(Int64)
        case string(String)
        case token(String)
        case bytes([UInt8])
        case boolean(Bool)
    }

    /// A bare item with its parameters, in order.
    public struct Item: Sendable, Equatable {
        /// The value.
        public var value: BareItem
        /// Its parameters.
        public var parameters: [(name: String, value: BareItem)]

        /// An item from its parts.
        public init(_ value: BareItem, parameters: [(name: String, value: BareItem)] = []) {
            self.value = value
            self.parameters = parameters
        }

        /// Two items are equal when their values and parameters are, in order.
        public static func == (lhs: Item, rhs: Item) -> Bool {
            lhs.value == rhs.value && lhs.parameters.count == rhs.parameters.count
                && zip(lhs.parameters, rhs.parameters).allSatisfy { $0.name == $1.name && $0.value == $1.value }
        }
    }

    /// A dictionary member's value: an item or an inner list with parameters.
    public enum Member: Sendable, Equatable {
        case item(Item)
        case innerList([Item], parameters: [(name: String, value: BareItem)])

        /// Two members are equal when their kind, items and parameters are.
        public static func == (lhs: Member, rhs: Member) -> Bool {
            switch (lhs, rhs) {
            case (.item(let a), .item(let b)): a == b
            case (.innerList(let a, let pa), .innerList(let b, let pb)):
                a == b && Item(.boolean(true), parameters: pa) == Item(.boolean(true), parameters: pb)
            default: false
            }
        }
    }

    /// Why a field value is not a structured field.
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        /// What is wrong, in words.
        public let description: String
    }

    /// Parses a dictionary field value (RFC 8941 §4.2.2), members in order; a repeated key keeps its last value.
    public static func parseDictionary(_ text: String) throws(ParseError) -> [(key: String, value: Member)] {
        var parser = Parser(Array(text.utf8))
        parser.skipSpaces()
        var members: [(key: String, value: Member)] = []
        while !parser.atEnd {
            let key = try parser.key()
            let value: Member
            if parser.peek == UInt8(ascii: "=") {
                parser.index += 1
                value = try parser.member()
            } else {
                value = .item(Item(.boolean(true), parameters: try parser.parameters()))
            }
            members.removeAll { $0.key == key }
            members.append((key, value))
            parser.skipOWS()
            if parser.atEnd { break }
            guard parser.peek == UInt8(ascii: ",") else { throw ParseError(description: "expected a comma") }
            parser.index += 1
            parser.skipOWS()
            guard !parser.atEnd else { throw ParseError(description: "a trailing comma") }
        }
        return members
    }

    /// Serializes an inner list with its parameters (RFC 8941 §4.1.1.1).
    public static func serialize(innerList items: [Item], parameters: [(name: String, value: BareItem)]) -> String {
        "(" + items.map(serialize(item:)).joined(separator: " ") + ")" + serialize(parameters: parameters)
    }

    /// Serializes an item with its parameters (RFC 8941 §4.1.3).
    public static func serialize(item: Item) -> String {
        serialize(bareItem: item.value) + serialize(parameters: item.parameters)
    }

    /// Serializes parameters (RFC 8941 §4.1.1.2): a `true` boolean is written as the bare key.
    public static func serialize(parameters: [(name: String, value: BareItem)]) -> String {
        parameters.map { parameter in
            if case .boolean(true) = parameter.value { return ";" + parameter.name }
            return ";" + parameter.name + "=" + serialize(bareItem: parameter.value)
        }.joined()
    }

    /// Serializes a bare item (RFC 8941 §4.1.3.1).
    public static func serialize(bareItem: BareItem) -> String {
        switch bareItem {
        case .integer(let value): String(value)
        case .string(let text):
            "\"" + text.replacingBackslashAndQuote() + "\""
        case .token(let token): token
        case .bytes(let bytes): ":" + Base64.encode(bytes) + ":"
        case .boolean(let flag): flag ? "?1" : "?0"
        }
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { index >= bytes.count }
        var peek: UInt8? { atEnd ? nil : bytes[index] }

        mutating func skipSpaces() { while peek == 0x20 { index += 1 } }
        mutating func skipOWS() { while peek == 0x20 || peek == 0x09 { index += 1 } }

        mutating func key() throws(ParseError) -> String {
            guard let first = peek, (first >= 0x61 && first <= 0x7a) || first == UInt8(ascii: "*") else {
                throw ParseError(description: "a key must start with a lowercase letter or *")
            }
            let start = index
            while let byte = peek,
                (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x30 && byte <= 0x39) || byte == UInt8(ascii: "_")
                    || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "*")
            {
                index += 1
            }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        mutating func member() throws(ParseError) -> Member {
            guard peek == UInt8(ascii: "(") else { return .item(try item()) }
            index += 1
            var items: [Item] = []
            while true {
                skipSpaces()
                if peek == UInt8(ascii: ")") {
                    index += 1
                    return .innerList(items, parameters: try parameters())
                }
                items.append(try item())
                guard peek == 0x20 || peek == UInt8(ascii: ")") else {
                    throw ParseError(description: "an inner list's items are separated by spaces")
                }
            }
        }

        mutating func item() throws(ParseError) -> Item {
            let value = try bareItem()
            return Item(value, parameters: try parameters())
        }

        mutating func parameters() throws(ParseError) -> [(name: String, value: BareItem)] {
            var parameters: [(name: String, value: BareItem)] = []
            while peek == UInt8(ascii: ";") {
                index += 1
                skipSpaces()
                let name = try key()
                var value = BareItem.boolean(true)
                if peek == UInt8(ascii: "=") {
                    index += 1
                    value = try bareItem()
                }
                parameters.removeAll { $0.name == name }
                parameters.append((name, value))
            }
            return parameters
        }

        mutating func bareItem() throws(ParseError) -> BareItem {
            guard let first = peek else { throw ParseError(description: "a value is missing") }
            switch first {
            case UInt8(ascii: "-"), 0x30...0x39:
                let start = index
                if first == UInt8(ascii: "-") { index += 1 }
                while let byte = peek, byte >= 0x30, byte <= 0x39 { index += 1 }
                let digits = index - start - (first == UInt8(ascii: "-") ? 1 : 0)
                guard digits >= 1, digits <= 15, peek != UInt8(ascii: "."),
                    let value = Int64(String(decoding: bytes[start..<index], as: UTF8.self))
                else {
                    throw ParseError(description: "integers have 1 to 15 digits (decimals are not used here)")
                }
                return .integer(value)
            case UInt8(ascii: "\""):
                index += 1
                var text: [UInt8] = []
                while true {
                    guard let byte = peek else { throw ParseError(description: "a string is not closed") }
                    index += 1
                    if byte == UInt8(ascii: "\\") {
                        guard let next = peek, next == UInt8(ascii: "\\") || next == UInt8(ascii: "\"") else {
                            throw ParseError(description: "a string escapes only \\ and \"")
                        }
                        text.append(next)
                        index += 1
                    } else if byte == UInt8(ascii: "\"") {
                        return .string(String(decoding: text, as: UTF8.self))
                    } else {
                        guard byte >= 0x20, byte < 0x7f else {
                            throw ParseError(description: "a string holds printable ASCII only")
                        }
                        text.append(byte)
                    }
                }
            case UInt8(ascii: ":"):
                index += 1
                let start = index
                while let byte = peek, byte != UInt8(ascii: ":") { index += 1 }
                guard peek == UInt8(ascii: ":"),
                    let bytes = Base64.decodeCanonical(String(decoding: bytes[start..<index], as: UTF8.self))
                else {
                    throw ParseError(description: "a byte sequence is :base64:")
                }
                index += 1
                return .bytes(bytes)
            case UInt8(ascii: "?"):
                index += 1
                guard let flag = peek, flag == 0x30 || flag == 0x31 else {
                    throw ParseError(description: "a boolean is ?0 or ?1")
                }
                index += 1
                return .boolean(flag == 0x31)
            default:
                guard (first >= 0x41 && first <= 0x5a) || (first >= 0x61 && first <= 0x7a) || first == UInt8(ascii: "*")
                else {
                    throw ParseError(description: "unexpected character \(Character(Unicode.Scalar(first)))")
                }
                let start = index
                while let byte = peek, byte > 0x20, byte < 0x7f, !"\"(),;<=>?@[\\]{}".utf8.contains(byte) {
                    index += 1
                }
                return .token(String(decoding: bytes[start..<index], as: UTF8.self))
            }
        }
    }
}

extension String {
    fileprivate func replacingBackslashAndQuote() -> String {
        var out = ""
        for character in self {
            if character == "\\" || character == "\"" { out.append("\\") }
            out.append(character)
        }
        return out
    }
}
