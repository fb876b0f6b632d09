import Foundation

/// Lowercase hexadecimal, the only hex form the ledger writes or accepts.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// Encodes bytes as lowercase hex (the non-generic fast path for arrays).
    public static func encode(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBufferPointer { encode(buffer: $0) }
    }

    private static func encode(buffer bytes: UnsafeBufferPointer<UInt8>) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            for (index, byte) in bytes.enumerated() {
                out[2 * index] = digits[Int(byte >> 4)]
                out[2 * index + 1] = digits[Int(byte & 0x0f)]
            }
            return bytes.count * 2
        }
    }

    /// Encodes bytes as lowercase hex.
    public static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var out = [UInt8]()
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes lowercase hex; returns nil for odd length, uppercase or any other character (canonical form only).
    public static func decode(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = value(utf8[index]), let low = value(utf8[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    /// True when `text` is exactly `count` bytes of lowercase hex.
    public static func isCanonical(_ text: String, byteCount count: Int) -> Bool {
        guard text.utf8.count == count * 2 else { return false }
        return text.utf8.withContiguousStorageIfAvailable { bytes in bytes.allSatisfy { value($0) != nil } }
            ?? text.utf8.allSatisfy { value($0) != nil }
    }

    private static func value(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}

/// Standard base64 (RFC 4648 §4, with padding), accepted only in its canonical form.
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Encodes bytes as padded standard base64.
    public static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        encode(Array(bytes))
    }

    /// Encodes bytes as padded standard base64 (RFC 4648 §4).
    public static func encode(_ bytes: [UInt8]) -> String {
        let outputCount = (bytes.count + 2) / 3 * 4
        return String(unsafeUninitializedCapacity: outputCount) { out in
            var written = 0
            var index = 0
            while index + 3 <= bytes.count {
                let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
                out[written] = alphabet[Int(value >> 18 & 0x3f)]
                out[written + 1] = alphabet[Int(value >> 12 & 0x3f)]
                out[written + 2] = alphabet[Int(value >> 6 & 0x3f)]
                out[written + 3] = alphabet[Int(value & 0x3f)]
                written += 4
                index += 3
            }
            let rest = bytes.count - index
            if rest > 0 {
                let value = UInt32(bytes[index]) << 16 | (rest == 2 ? UInt32(bytes[index + 1]) << 8 : 0)
                out[written] = alphabet[Int(value >> 18 & 0x3f)]
                out[written + 1] = alphabet[Int(value >> 12 & 0x3f)]
                out[written + 2] = rest == 2 ? alphabet[Int(value >> 6 & 0x3f)] : UInt8(ascii: "=")
                out[written + 3] = UInt8(ascii: "=")
                written += 4
            }
            return written
        }
    }

    /// Decodes base64 only if re-encoding the result gives back exactly `text` (no whitespace, no missing or
    /// extra padding, no non-zero trailing bits).
    public static func decodeCanonical(_ text: String) -> [UInt8]? {
        var text = text
        return text.withUTF8 { decodeCanonical($0) }
    }

    /// The 6-bit value of each alphabet byte; 0xff for every other byte.
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xff, count: 256)
        for (value, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(value) }
        return table
    }()

    /// Decodes `text` read as in ``decodeCanonical(_:)-(String)``: four characters per three bytes, `=` only to pad
    /// the last group to four, and the bits a padded group does not use all zero.
    static func decodeCanonical(_ text: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard text.count % 4 == 0 else { return nil }
        guard text.count > 0 else { return [] }
        let padding =
            text[text.count - 1] != UInt8(ascii: "=") ? 0 : (text[text.count - 2] != UInt8(ascii: "=") ? 1 : 2)
        let byteCount = text.count / 4 * 3 - padding
        let values = Self.values
        return values.withUnsafeBufferPointer { table -> [UInt8]? in
            var failed = false
            let bytes = [UInt8](unsafeUninitializedCapacity: byteCount) { out, initialized in
                var written = 0
                var index = 0
                while index < text.count {
                    let last = index + 4 == text.count
                    let a = table[Int(text[index])]
                    let b = table[Int(text[index + 1])]
                    // In the last group, `=` stands for zero bits that must not be written.
                    let c = last && padding == 2 ? 0 : table[Int(text[index + 2])]
                    let d = last && padding >= 1 ? 0 : table[Int(text[index + 3])]
                    if (a | b | c | d) & 0xc0 != 0 {
                        failed = true
                        break
                    }
                    let value = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                    out[written] = UInt8(value >> 16)
                    if !last || padding < 2 { out[written + 1] = UInt8(value >> 8 & 0xff) }
                    if !last || padding < 1 { out[written + 2] = UInt8(value & 0xff) }
                    // Canonical: the bits after the last whole byte are zero.
                    if last && ((padding == 2 && value & 0xffff != 0) || (padding == 1 && value & 0xff != 0)) {
                        failed = true
                    }
                    written += last ? 3 - padding : 3
                    index += 4
                }
                initialized = failed ? 0 : written
            }
            return failed ? nil : bytes
        }
    }
}
