/// Syntax of the identifiers a v1 ledger uses (FORMAT.md §3.1, §4.1, §6.1).
///
/// All are ASCII, so byte comparison and `String ==` agree on them once they have passed these checks.
public enum Identifiers {
    /// `^[A-Za-z0-9._/-]{1,128}$`.
    public static func isStreamName(_ text: String) -> Bool {
        let bytes = text.utf8
        return (1...128).contains(bytes.count)
            && bytes.allSatisfy { isAlphanumeric($0) || $0 == 0x2e || $0 == 0x5f || $0 == 0x2f || $0 == 0x2d }
    }

    /// `^[A-Za-z0-9._@-]{1,64}$`.
    public static func isPersonID(_ text: String) -> Bool {
        let bytes = text.utf8
        return (1...64).contains(bytes.count)
            && bytes.allSatisfy { isAlphanumeric($0) || $0 == 0x2e || $0 == 0x5f || $0 == 0x40 || $0 == 0x2d }
    }

    /// `^[A-Za-z0-9._-]{1,64}$`: the id of a case, item or target, the part of its stream name after the slash.
    public static func isLocalID(_ text: String) -> Bool {
        let bytes = text.utf8
        return (1...64).contains(bytes.count)
            && bytes.allSatisfy { isAlphanumeric($0) || $0 == 0x2e || $0 == 0x5f || $0 == 0x2d }
    }

    /// An RFC 3339 §5.6 `date-time` with a valid calendar date: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`.
    ///
    /// Upper-case `T` and `Z` only; seconds 00…60 (a leap second).
    public static func isRFC3339(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes.count <= 40 else { return false }
        func digits(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= bytes.count else { return nil }
            var value = 0
            for index in range {
                guard (0x30...0x39).contains(bytes[index]) else { return nil }
                value = value * 10 + Int(bytes[index] - 0x30)
            }
            return value
        }
        guard let year = digits(0..<4), bytes[4] == 0x2d, let month = digits(5..<7), bytes[7] == 0x2d,
            let day = digits(8..<10), bytes[10] == 0x54, let hour = digits(11..<13), bytes[13] == 0x3a,
            let minute = digits(14..<16), bytes[16] == 0x3a, let second = digits(17..<19)
        else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard (1...12).contains(month), (1...days[month - 1]).contains(day), hour < 24, minute < 60, second <= 60
        else { return false }
        var index = 19
        if bytes[index] == 0x2e {
            index += 1
            let start = index
            while index < bytes.count, (0x30...0x39).contains(bytes[index]) { index += 1 }
            guard index > start, index - start <= 9 else { return false }
        }
        guard index < bytes.count else { return false }
        if bytes[index] == 0x5a { return index + 1 == bytes.count }
        guard bytes[index] == 0x2b || bytes[index] == 0x2d, bytes.count == index + 6,
            let offsetHour = digits((index + 1)..<(index + 3)), bytes[index + 3] == 0x3a,
            let offsetMinute = digits((index + 4)..<(index + 6))
        else { return false }
        return offsetHour < 24 && offsetMinute < 60
    }

    /// `^[A-Za-z0-9][A-Za-z0-9._/:-]{0,254}$`.
    public static func isOrigin(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard (1...255).contains(bytes.count), isAlphanumeric(bytes[0]) else { return false }
        return bytes.allSatisfy {
            isAlphanumeric($0) || $0 == 0x2e || $0 == 0x5f || $0 == 0x2f || $0 == 0x3a || $0 == 0x2d
        }
    }

    /// A lowercase RFC 9562 version 4 UUID.
    public static func isUUIDv4(_ text: String) -> Bool {
        guard text.utf8.count == 36 else { return false }
        return text.utf8.withContiguousStorageIfAvailable(isUUIDv4) ?? isUUIDv4(Array(text.utf8))
    }

    private static func isUUIDv4<Bytes: RandomAccessCollection>(_ bytes: Bytes) -> Bool
    where Bytes.Element == UInt8, Bytes.Index == Int {
        for (index, byte) in zip(0..., bytes) {
            switch index {
            case 8, 13, 18, 23: if byte != 0x2d { return false }
            case 14: if byte != UInt8(ascii: "4") { return false }
            case 19: if !"89ab".utf8.contains(byte) { return false }
            default: if !isLowerHex(byte) { return false }
            }
        }
        return true
    }

    /// Name text: 1…`max` Unicode scalars, no control characters (general category Cc).
    public static func isDisplayText(_ text: String, max: Int) -> Bool {
        isText(text, max: max, allowLineBreaks: false)
    }

    /// Free text: 1…`max` Unicode scalars; line feeds and tabs allowed, no other control characters.
    public static func isFreeText(_ text: String, max: Int) -> Bool {
        isText(text, max: max, allowLineBreaks: true)
    }

    /// Checks the UTF-8 bytes directly: Cc is U+0000–U+001F (one byte), U+007F (one byte) and U+0080–U+009F
    /// (encoded C2 80 … C2 9F); scalars are counted as bytes that are not continuation bytes.
    private static func isText(_ text: String, max: Int, allowLineBreaks: Bool) -> Bool {
        var scalars = 0
        var previous: UInt8 = 0
        for byte in text.utf8 {
            if byte < 0x20 {
                guard allowLineBreaks, byte == 0x0a || byte == 0x09 else { return false }
            } else if byte == 0x7f || (previous == 0xc2 && byte >= 0x80 && byte <= 0x9f) {
                return false
            }
            if byte & 0xc0 != 0x80 { scalars += 1 }
            previous = byte
        }
        return scalars >= 1 && scalars <= max
    }

    /// 16 bytes of a UUID for compact storage in a set.
    public static func packedUUID(_ text: String) -> UUIDKey {
        var high: UInt64 = 0
        var low: UInt64 = 0
        var count = 0
        for byte in text.utf8 where byte != 0x2d {
            let nibble = UInt64(byte <= 0x39 ? byte - 0x30 : byte - 0x57) & 0xf
            if count < 16 { high = high << 4 | nibble } else { low = low << 4 | nibble }
            count += 1
        }
        return UUIDKey(high: high, low: low)
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5a).contains(byte) || (0x61...0x7a).contains(byte)
    }

    private static func isLowerHex(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x61...0x66).contains(byte)
    }
}

/// A UUID packed into 16 bytes.
public struct UUIDKey: Hashable, Sendable {
    let high: UInt64
    let low: UInt64
}

/// The `time` member: UTC, millisecond precision, exactly `YYYY-MM-DDTHH:MM:SS.sssZ`.
public enum LedgerTime {
    /// Formats milliseconds since the Unix epoch.
    public static func format(millisecondsSince1970 ms: Int64) -> String {
        let days = floorDiv(ms, 86_400_000)
        let msOfDay = ms - days * 86_400_000
        let (year, month, day) = civil(fromDays: days)
        let hour = msOfDay / 3_600_000
        let minute = msOfDay / 60_000 % 60
        let second = msOfDay / 1000 % 60
        let milli = msOfDay % 1000
        return pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + "T" + pad(hour, 2) + ":" + pad(minute, 2) + ":"
            + pad(second, 2) + "." + pad(milli, 3) + "Z"
    }

    private static let layout = Array("0000-00-00T00:00:00.000Z".utf8)

    /// "2 d 3 h", "5 h 12 min", "7 min": how long before `later` the time `earlier` was; nil under a minute (or when
    /// `earlier` is not earlier), and for malformed times.
    public static func delay(from earlier: String, to later: String) -> String? {
        guard let start = milliseconds(earlier), let end = milliseconds(later) else { return nil }
        let minutes = (end - start) / 60_000
        guard minutes >= 1 else { return nil }
        let days = minutes / 1440
        let hours = minutes / 60 % 24
        if days > 0 { return hours > 0 ? "\(days) d \(hours) h" : "\(days) d" }
        if hours > 0 { return minutes % 60 > 0 ? "\(hours) h \(minutes % 60) min" : "\(hours) h" }
        return "\(minutes) min"
    }

    /// Milliseconds since the Unix epoch of a well-formed time, or nil when ``isValid(_:)`` is false.
    public static func milliseconds(_ text: String) -> Int64? {
        guard isValid(text) else { return nil }
        let bytes = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int64 { range.reduce(0) { $0 * 10 + Int64(bytes[$1] - 0x30) } }
        let days = days(fromCivil: number(0..<4), number(5..<7), number(8..<10))
        return days * 86_400_000 + number(11..<13) * 3_600_000 + number(14..<16) * 60_000 + number(17..<19) * 1000
            + number(20..<23)
    }

    /// Milliseconds since the Unix epoch of an RFC 3339 date-time with offset; nil when it is not one.
    ///
    /// As ``Identifiers/isRFC3339(_:)`` accepts it; fractions beyond milliseconds are dropped, and a leap second
    /// counts as the next second.
    public static func milliseconds(rfc3339 text: String) -> Int64? {
        guard Identifiers.isRFC3339(text) else { return nil }
        let bytes = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int64 { range.reduce(0) { $0 * 10 + Int64(bytes[$1] - 0x30) } }
        var index = 19
        var milli: Int64 = 0
        if bytes[index] == 0x2e {
            index += 1
            var scale: Int64 = 100
            while (0x30...0x39).contains(bytes[index]) {
                milli += Int64(bytes[index] - 0x30) * scale
                scale /= 10
                index += 1
            }
        }
        var offset: Int64 = 0
        if bytes[index] != 0x5a {
            offset = (number((index + 1)..<(index + 3)) * 60 + number((index + 4)..<(index + 6))) * 60_000
            if bytes[index] == 0x2d { offset = -offset }
        }
        let days = days(fromCivil: number(0..<4), number(5..<7), number(8..<10))
        return days * 86_400_000 + number(11..<13) * 3_600_000 + number(14..<16) * 60_000 + number(17..<19) * 1000
            + milli - offset
    }

    // Howard Hinnant's days-from-civil.
    private static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// True for a well-formed time naming a real calendar date (years 0001–9999, seconds 00–59).
    public static func isValid(_ text: String) -> Bool {
        guard text.utf8.count == 24 else { return false }
        return text.utf8.withContiguousStorageIfAvailable(isValid) ?? isValid(Array(text.utf8))
    }

    private static func isValid<Bytes: RandomAccessCollection>(_ bytes: Bytes) -> Bool
    where Bytes.Element == UInt8, Bytes.Index == Int {
        let bytes = bytes
        for index in 0..<24 {
            if layout[index] == UInt8(ascii: "0") {
                guard (0x30...0x39).contains(bytes[index]) else { return false }
            } else if bytes[index] != layout[index] {
                return false
            }
        }
        func number(_ range: Range<Int>) -> Int64 { range.reduce(0) { $0 * 10 + Int64(bytes[$1] - 0x30) } }
        let year = number(0..<4)
        let month = number(5..<7)
        let day = number(8..<10)
        guard year >= 1, (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year) else {
            return false
        }
        return number(11..<13) < 24 && number(14..<16) < 60 && number(17..<19) < 60
    }

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }

    private static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }

    // Howard Hinnant's days-from-civil inverse.
    private static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let dayOfYear = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
