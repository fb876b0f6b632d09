import LedgerCore

/// The kinds of infrastructure target a custody record can name.
///
/// The raw value is the spelling used in entries and on the command line.
public enum TargetKind: String, Sendable, CaseIterable {
    /// An IPv4 or IPv6 address.
    case ip
    /// A DNS host name.
    case domain
    /// An absolute URL with an authority (`scheme://host/…`).
    case url
    /// A machine named by an IP address or a host name.
    case server
}

/// Checks infrastructure target values and rewrites them to one canonical text.
///
/// Two spellings of the same target normalize to the same bytes, so normalized targets compare byte for byte.
/// Only syntax is checked: nothing is resolved or looked up. Nothing is trimmed either: a value with surrounding
/// spaces is invalid, not silently repaired.
///
/// Out of scope: full IDNA2008/UTS #46 processing (no NFC normalization, no mapping of full-width dots, no
/// contextual or bidi rules, existing `xn--` labels are not decoded), IPv6 zone IDs, IPvFuture URL hosts,
/// percent-encoded host names, and single-label host names such as `localhost`.
public enum TargetValue {
    /// The normalized form of `value` as a target of `kind`.
    ///
    /// - `ip`: ``normalizeIPv4(_:)`` or, if `value` contains a colon, ``normalizeIPv6(_:)``.
    /// - `domain`: ``normalizeDomain(_:)``.
    /// - `url`: ``normalizeURL(_:)``.
    /// - `server`: an IP address if `value` parses as one, otherwise a host name.
    ///
    /// - Throws: ``CoreError/rule(_:)`` with a one-line message that quotes the value, names the kind and says
    ///   what is wrong.
    public static func normalize(_ value: String, kind: TargetKind) throws(CoreError) -> String {
        do throws(Invalid) {
            switch kind {
            case .ip: return try parseIP(value)
            case .domain: return try parseDomain(value)
            case .url: return try parseURL(value)
            case .server: return try parseServer(value)
            }
        } catch {
            throw .rule("\(quoted(value.unicodeScalars)) is not a valid \(kind.rawValue) target: \(error.reason)")
        }
    }

    /// An IPv4 address as a canonical dotted quad, or nil.
    ///
    /// Exactly four decimal parts 0…255 separated by dots. Leading zeros are rejected rather than dropped, because
    /// some parsers read `010` as octal 8; so are the shorthand forms (`127.1`, hexadecimal parts) that `inet_aton`
    /// accepts. A valid input is already canonical.
    public static func normalizeIPv4(_ text: String) -> String? {
        try? parseIPv4(text)
    }

    /// An IPv6 address in the canonical text of RFC 5952, or nil.
    ///
    /// Accepts every RFC 4291 §2.2 text form, including a dotted-quad tail (`::ffff:192.0.2.1`). The output uses
    /// lowercase hex without leading zeros and compresses the longest run of two or more zero groups with `::`
    /// (the first on ties; a single zero group is not compressed). IPv4-mapped addresses (`::ffff:0:0/96`) are
    /// written with a dotted-quad tail (RFC 5952 §5); all others in hex. Zone IDs (`%eth0`) and brackets are
    /// rejected.
    public static func normalizeIPv6(_ text: String) -> String? {
        try? parseIPv6(text)
    }

    /// A DNS host name in lowercase ASCII, or nil.
    ///
    /// One trailing dot is removed and ASCII letters are lowercased. A label with non-ASCII characters is
    /// lowercased with `String.lowercased()`, must then hold only letters, digits and combining marks, and is
    /// written as an IDNA A-label (`xn--` and its Punycode, RFC 3492). This is a subset of IDNA2008: no NFC
    /// normalization and no UTS #46 mapping, so a name typed with combining characters or full-width dots is
    /// rejected or encoded as typed. Existing `xn--` labels are kept, lowercased, without being decoded.
    ///
    /// After conversion every label is 1…63 octets of `a-z`, `0-9` and `-`, not starting or ending with `-`;
    /// the name is at most 253 octets, has at least two labels, and its last label is not all digits.
    public static func normalizeDomain(_ text: String) -> String? {
        try? parseDomain(text)
    }

    /// An absolute URL with an authority, normalized per RFC 3986 §6.2.2 and §6.2.3, or nil.
    ///
    /// The scheme is lowercased; the host is normalized as an IPv4 address, a bracketed IPv6 address (RFC 5952)
    /// or a domain name (``normalizeDomain(_:)``); a default port (http 80, https 443, ftp 21) and an empty port
    /// are removed; percent-escapes of unreserved characters are decoded and all others uppercased; dot segments
    /// are removed from the path, and an empty path becomes `/`. User info, query and fragment are kept as
    /// written apart from their percent-escapes, so a password in the user info is kept too.
    ///
    /// Any scheme with an authority (`scheme://`) is accepted. Rejected: spaces, control and non-ASCII
    /// characters anywhere (percent-encode them, and write an internationalized host as A-labels), characters
    /// RFC 3986 does not allow where they appear, invalid percent-escapes, an empty host, and a port that is not
    /// a decimal number up to 65535.
    public static func normalizeURL(_ text: String) -> String? {
        try? parseURL(text)
    }
}

// MARK: - IP addresses

extension TargetValue {
    private static func parseIP(_ text: String) throws(Invalid) -> String {
        text.utf8.contains(colon) ? try parseIPv6(text) : try parseIPv4(text)
    }

    /// A host name never contains a colon and never ends in an all-digit label, so the choice is unambiguous.
    private static func parseServer(_ text: String) throws(Invalid) -> String {
        if text.utf8.contains(colon) { return try parseIPv6(text) }
        if !text.isEmpty, text.utf8.allSatisfy({ isDigit($0) || $0 == dot }) { return try parseIPv4(text) }
        return try parseDomain(text)
    }

    private static func parseIPv4(_ text: String) throws(Invalid) -> String {
        guard !text.isEmpty else { throw Invalid("it is empty") }
        // A valid address is its own canonical form; replays check many, so the check allocates nothing.
        if isDottedQuad(text.utf8) { return text }
        let octets = try ipv4Octets(Array(text.utf8)[...])
        return octets.map { String($0) }.joined(separator: ".")
    }

    /// True for exactly four decimal parts 0…255 without leading zeros, separated by dots.
    private static func isDottedQuad(_ bytes: String.UTF8View) -> Bool {
        var parts = 0
        var value = 0
        var digits = 0
        var leadingZero = false
        for byte in bytes {
            if byte == dot {
                guard digits > 0 else { return false }
                parts += 1
                value = 0
                digits = 0
                continue
            }
            guard isDigit(byte), !leadingZero || digits == 0 else { return false }
            if digits == 0 { leadingZero = byte == zero }
            value = value * 10 + Int(byte - zero)
            digits += 1
            guard digits <= 3, value <= 255 else { return false }
        }
        return digits > 0 && parts == 3
    }

    private static func ipv4Octets(_ bytes: ArraySlice<UInt8>) throws(Invalid) -> [UInt8] {
        let parts = bytes.split(separator: dot, omittingEmptySubsequences: false)
        guard parts.count == 4 else {
            throw Invalid("expected 4 decimal parts separated by dots, found \(parts.count)")
        }
        var octets: [UInt8] = []
        for part in parts {
            guard !part.isEmpty else { throw Invalid("an IPv4 part is empty") }
            guard part.allSatisfy(isDigit) else {
                throw Invalid("IPv4 part \(quoted(part)) is not a decimal number")
            }
            guard part.count == 1 || part.first != zero else {
                throw Invalid("IPv4 part \(quoted(part)) has a leading zero (some parsers read it as octal)")
            }
            guard part.count <= 3, let octet = UInt8(exactly: part.reduce(0) { $0 * 10 + Int($1 - zero) }) else {
                throw Invalid("IPv4 part \(quoted(part)) is greater than 255")
            }
            octets.append(octet)
        }
        return octets
    }

    private static func parseIPv6(_ text: String) throws(Invalid) -> String {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { throw Invalid("it is empty") }
        guard !bytes.contains(UInt8(ascii: "%")) else { throw Invalid("IPv6 zone IDs (\"%…\") are not supported") }
        guard !bytes.contains(UInt8(ascii: "[")), !bytes.contains(UInt8(ascii: "]")) else {
            throw Invalid("brackets belong only around an IPv6 address inside a URL")
        }
        // RFC 4291 §2.2 form 2: one "::" stands for one or more zero groups.
        let groups: [UInt16]
        if let compression = doubleColon(in: bytes[...]) {
            let tail = bytes[(compression + 2)...]
            guard doubleColon(in: tail) == nil else { throw Invalid("\"::\" may appear only once") }
            let head = try ipv6Groups(bytes[..<compression], last: false)
            let rest = try ipv6Groups(tail, last: true)
            guard head.count + rest.count <= 7 else {
                throw Invalid("too many groups: \"::\" must stand for at least one zero group")
            }
            groups = head + Array(repeating: 0, count: 8 - head.count - rest.count) + rest
        } else {
            groups = try ipv6Groups(bytes[...], last: true)
            guard groups.count == 8 else {
                throw Invalid("expected 8 groups of hex digits (or \"::\"), found \(groups.count)")
            }
        }
        return formatIPv6(groups)
    }

    private static func doubleColon(in bytes: ArraySlice<UInt8>) -> Int? {
        bytes.indices.dropLast().first { bytes[$0] == colon && bytes[$0 + 1] == colon }
    }

    /// The 16-bit groups of one side of "::"; a dotted-quad tail (RFC 4291 §2.2 form 3) counts as two groups and
    /// is allowed only at the very end of the address.
    private static func ipv6Groups(_ bytes: ArraySlice<UInt8>, last: Bool) throws(Invalid) -> [UInt16] {
        guard !bytes.isEmpty else { return [] }
        let fields = bytes.split(separator: colon, omittingEmptySubsequences: false)
        guard fields.count <= 8 else { throw Invalid("more than 8 groups") }
        var groups: [UInt16] = []
        for (index, field) in fields.enumerated() {
            if field.contains(dot) {
                guard last, index == fields.count - 1 else {
                    throw Invalid("an embedded IPv4 address may only be the last 32 bits")
                }
                let octets: [UInt8]
                do {
                    octets = try ipv4Octets(field)
                } catch {
                    throw Invalid("embedded \(error.reason)")
                }
                groups.append(UInt16(octets[0]) << 8 | UInt16(octets[1]))
                groups.append(UInt16(octets[2]) << 8 | UInt16(octets[3]))
                continue
            }
            guard !field.isEmpty else {
                throw Invalid("a group is empty (a single \":\" at either end, or \":::\")")
            }
            guard field.count <= 4 else { throw Invalid("group \(quoted(field)) has more than 4 hex digits") }
            var value: UInt16 = 0
            for byte in field {
                guard let digit = hexValue(byte) else { throw Invalid("group \(quoted(field)) is not hexadecimal") }
                value = value << 4 | UInt16(digit)
            }
            groups.append(value)
        }
        return groups
    }

    private static func formatIPv6(_ groups: [UInt16]) -> String {
        // RFC 5952 §5: IPv4-mapped addresses (RFC 4291 §2.5.5.2) end in a dotted quad. Other embedding prefixes
        // are left in hex: IPv4-compatible ones are deprecated and would turn ::1 into ::0.0.0.1.
        if groups[0..<5].allSatisfy({ $0 == 0 }), groups[5] == 0xffff {
            let octets = [groups[6] >> 8, groups[6] & 0xff, groups[7] >> 8, groups[7] & 0xff]
            return "::ffff:" + octets.map { String($0) }.joined(separator: ".")
        }
        // RFC 5952 §4.2.1–§4.2.3: compress the longest run of zero groups, the first one on ties, and never a
        // single zero group.
        var bestStart = 0
        var bestLength = 0
        var runStart = 0
        for index in 0...8 {
            if index < 8, groups[index] == 0 { continue }
            if index - runStart > bestLength {
                bestStart = runStart
                bestLength = index - runStart
            }
            runStart = index + 1
        }
        // RFC 5952 §4.1 and §4.3: no leading zeros, lowercase.
        let hex = groups.map { String($0, radix: 16) }
        guard bestLength >= 2 else { return hex.joined(separator: ":") }
        return hex[..<bestStart].joined(separator: ":") + "::"
            + hex[(bestStart + bestLength)...].joined(separator: ":")
    }
}

// MARK: - Domain names

extension TargetValue {
    private static func parseDomain(_ text: String) throws(Invalid) -> String {
        var scalars = Array(text.unicodeScalars)
        guard !scalars.isEmpty else { throw Invalid("it is empty") }
        // RFC 1034 §3.1: a trailing dot only marks the name as absolute.
        if scalars.last == "." { scalars.removeLast() }
        // Every scalar becomes at least one octet and lowercasing never shortens a label, so this bound is safe
        // and keeps the work below linear.
        guard scalars.count <= 253 else { throw Invalid("the name is longer than 253 octets") }
        let labels = scalars.split(separator: ".", omittingEmptySubsequences: false)
        var normalized: [String] = []
        for label in labels {
            normalized.append(try aLabel(label))
        }
        guard normalized.count >= 2 else {
            throw Invalid("a host name needs at least two labels, such as host.example")
        }
        let name = normalized.joined(separator: ".")
        // RFC 1035 §2.3.4: 255 octets on the wire are 253 in text without the trailing dot.
        guard name.utf8.count <= 253 else { throw Invalid("the name is longer than 253 octets") }
        // RFC 3696 §2: a top-level domain is never all-numeric, which also keeps dotted quads out.
        if let last = normalized.last, last.utf8.allSatisfy(isDigit) {
            throw Invalid("the last label \(quoted(last.unicodeScalars)) is all digits")
        }
        return name
    }

    /// One label in its ASCII form: lowercased, and Punycode-encoded if it is not ASCII (RFC 5891 §4.4).
    private static func aLabel(_ label: ArraySlice<Unicode.Scalar>) throws(Invalid) -> String {
        guard !label.isEmpty else { throw Invalid("a label is empty (a leading dot or two dots in a row)") }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: label)
        let lowered = Array(String(view).lowercased().unicodeScalars)
        guard lowered.contains(where: { !$0.isASCII }) else {
            return try ldhLabel(lowered)
        }
        // A subset of RFC 5891 §4.2.3: hyphen restrictions, no leading combining mark, and only the
        // LetterDigits categories of RFC 5892 §2.1 (uppercase is already lowercased away).
        for scalar in lowered where !(scalar.isASCII ? isLDH(scalar) : isLetterDigitOrMark(scalar)) {
            throw Invalid("label \(quoted(label)) contains \(describe(scalar)), which is not allowed in a host name")
        }
        if let first = lowered.first, !first.isASCII, isCombiningMark(first) {
            throw Invalid("label \(quoted(label)) starts with a combining mark")
        }
        guard lowered.first != "-", lowered.last != "-" else {
            throw Invalid("label \(quoted(label)) starts or ends with \"-\"")
        }
        guard lowered.count < 4 || lowered[2] != "-" || lowered[3] != "-" else {
            throw Invalid("label \(quoted(label)) has \"--\" in the third and fourth positions")
        }
        guard let encoded = punycodeEncode(lowered), encoded.utf8.count <= 59 else {
            throw Invalid("label \(quoted(label)) is longer than 63 octets as an A-label")
        }
        return "xn--" + encoded
    }

    /// RFC 1035 §2.3.1 as relaxed by RFC 1123 §2.1: letters, digits and hyphens, a digit may come first.
    private static func ldhLabel(_ label: [Unicode.Scalar]) throws(Invalid) -> String {
        if let bad = label.first(where: { !isLDH($0) }) {
            throw Invalid("label \(quoted(label)) contains \(describe(bad)), which is not allowed in a host name")
        }
        guard label.count <= 63 else { throw Invalid("label \(quoted(label)) is longer than 63 octets") }
        guard label.first != "-", label.last != "-" else {
            throw Invalid("label \(quoted(label)) starts or ends with \"-\"")
        }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: label)
        return String(view)
    }

    private static func isLDH(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "-"
    }

    private static func isLetterDigitOrMark(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .lowercaseLetter, .otherLetter, .modifierLetter, .nonspacingMark, .spacingMark, .decimalNumber: true
        default: false
        }
    }

    private static func isCombiningMark(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: true
        default: false
        }
    }

    /// The Punycode encoding (RFC 3492 §6.3) of `scalars`, without the `xn--` prefix; nil on overflow (§6.4).
    ///
    /// Basic code points are copied as they are, uppercase included; the generated digits are lowercase and no
    /// mixed-case annotation is produced.
    static func punycodeEncode(_ scalars: [Unicode.Scalar]) -> String? {
        let codes = scalars.map { Int($0.value) }
        var output: [UInt8] = codes.filter { $0 < Punycode.initialN }.map { UInt8($0) }
        let basicCount = output.count
        if basicCount > 0 { output.append(UInt8(ascii: "-")) }
        var handled = basicCount
        var n = Punycode.initialN
        var delta = 0
        var bias = Punycode.initialBias
        while handled < codes.count {
            // Every unhandled code point is at least n, so the minimum exists.
            guard let next = codes.filter({ $0 >= n }).min() else { return nil }
            let (step, stepOverflow) = (next - n).multipliedReportingOverflow(by: handled + 1)
            guard !stepOverflow, step <= Punycode.maxInt - delta else { return nil }
            delta += step
            n = next
            for code in codes {
                if code < n {
                    guard delta < Punycode.maxInt else { return nil }
                    delta += 1
                }
                guard code == n else { continue }
                var q = delta
                for k in stride(from: Punycode.base, to: Int.max, by: Punycode.base) {
                    let t = min(max(k - bias, Punycode.tMin), Punycode.tMax)
                    if q < t { break }
                    output.append(Punycode.digit(t + (q - t) % (Punycode.base - t)))
                    q = (q - t) / (Punycode.base - t)
                }
                output.append(Punycode.digit(q))
                bias = Punycode.adapt(delta, count: handled + 1, first: handled == basicCount)
                delta = 0
                handled += 1
            }
            delta += 1
            n += 1
        }
        return String(decoding: output, as: UTF8.self)
    }
}

extension TargetValue {
    /// The Punycode parameters and helpers of RFC 3492.
    private enum Punycode {
        // RFC 3492 §5.
        static let base = 36
        static let tMin = 1
        static let tMax = 26
        static let skew = 38
        static let damp = 700
        static let initialBias = 72
        static let initialN = 0x80
        /// The reference implementation's 32-bit unsigned integers (RFC 3492 §6.4).
        static let maxInt = Int(UInt32.max)

        /// RFC 3492 §5: 0–25 are a–z, 26–35 are 0–9.
        static func digit(_ value: Int) -> UInt8 {
            value < 26 ? UInt8(ascii: "a") + UInt8(value) : UInt8(ascii: "0") + UInt8(value - 26)
        }

        /// RFC 3492 §6.1.
        static func adapt(_ delta: Int, count: Int, first: Bool) -> Int {
            var delta = first ? delta / damp : delta / 2
            delta += delta / count
            var k = 0
            while delta > ((base - tMin) * tMax) / 2 {
                delta /= base - tMin
                k += base
            }
            return k + ((base - tMin + 1) * delta) / (delta + skew)
        }
    }
}

// MARK: - URLs

extension TargetValue {
    private static func parseURL(_ text: String) throws(Invalid) -> String {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { throw Invalid("it is empty") }
        // RFC 3986 §2: a URI is printable ASCII; everything else has to be percent-encoded first.
        for byte in bytes {
            if byte >= 0x80 {
                throw Invalid(
                    "it contains a non-ASCII character (percent-encode it; write an international host as xn-- labels)"
                )
            }
            if byte == 0x20 { throw Invalid("it contains a space (percent-encode it as %20)") }
            if byte < 0x20 || byte == 0x7f { throw Invalid("it contains a control character") }
        }
        // RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), case-insensitive.
        guard let schemeEnd = bytes.firstIndex(of: colon), schemeEnd > 0, isAlpha(bytes[0]),
            bytes[1..<schemeEnd].allSatisfy({ isAlpha($0) || isDigit($0) || "+-.".utf8.contains($0) })
        else {
            throw Invalid("it has no scheme (expected scheme://host/…, such as https://example.com/)")
        }
        let scheme = bytes[..<schemeEnd].map(lowercased)
        // RFC 3986 §3.2: the authority follows "//" and ends at the first "/", "?" or "#".
        let slashes = Array("//".utf8)
        guard bytes[(schemeEnd + 1)...].starts(with: slashes) else {
            throw Invalid("it has no \"//\" authority (expected scheme://host/…)")
        }
        let rest = bytes[(schemeEnd + 3)...]
        let authorityEnd = rest.firstIndex(where: { "/?#".utf8.contains($0) }) ?? rest.endIndex
        let authority = try normalizeAuthority(rest[..<authorityEnd], scheme: scheme)

        // RFC 3986 §3.3–§3.5: the query starts at the first "?", the fragment at the first "#".
        let tail = rest[authorityEnd...]
        let fragmentStart = tail.firstIndex(of: UInt8(ascii: "#"))
        let beforeFragment = tail[..<(fragmentStart ?? tail.endIndex)]
        let queryStart = beforeFragment.firstIndex(of: UInt8(ascii: "?"))
        let rawPath = beforeFragment[..<(queryStart ?? beforeFragment.endIndex)]

        // RFC 3986 §6.2.2: percent-encoding normalization before dot-segment removal, so %2E%2E counts as "..".
        var path = removeDotSegments(try normalizePercent(rawPath, extra: ":@/", in: "the path"))
        // RFC 3986 §6.2.3: with an authority, an empty path is the same as "/".
        if path.isEmpty { path = [slash] }

        var output = scheme + [colon] + slashes + authority + path
        if let queryStart {
            let query = beforeFragment[(queryStart + 1)...]
            output += [UInt8(ascii: "?")] + (try normalizePercent(query, extra: ":@/?", in: "the query"))
        }
        if let fragmentStart {
            let fragment = tail[(fragmentStart + 1)...]
            output += [UInt8(ascii: "#")] + (try normalizePercent(fragment, extra: ":@/?", in: "the fragment"))
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// RFC 3986 §3.2: `[ userinfo "@" ] host [ ":" port ]`, normalized.
    private static func normalizeAuthority(_ authority: ArraySlice<UInt8>, scheme: [UInt8]) throws(Invalid)
        -> [UInt8]
    {
        let at = UInt8(ascii: "@")
        guard authority.count(where: { $0 == at }) <= 1 else {
            throw Invalid("it has more than one \"@\" before the host")
        }
        var output: [UInt8] = []
        var hostAndPort = authority
        if let atIndex = authority.firstIndex(of: at) {
            // RFC 3986 §3.2.1.
            output = try normalizePercent(authority[..<atIndex], extra: ":", in: "the user info") + [at]
            hostAndPort = authority[(atIndex + 1)...]
        }
        let port: ArraySlice<UInt8>?
        if hostAndPort.first == UInt8(ascii: "[") {
            // RFC 3986 §3.2.2: IP-literal = "[" ( IPv6address / IPvFuture ) "]".
            guard let close = hostAndPort.firstIndex(of: UInt8(ascii: "]")) else {
                throw Invalid("the host has \"[\" without a closing \"]\"")
            }
            let literal = hostAndPort[(hostAndPort.startIndex + 1)..<close]
            if let first = literal.first, lowercased(first) == UInt8(ascii: "v") {
                throw Invalid("IPvFuture hosts are not supported")
            }
            do {
                output += Array("[\(try parseIPv6(String(decoding: literal, as: UTF8.self)))]".utf8)
            } catch {
                throw Invalid("the host is not an IPv6 address: \(error.reason)")
            }
            let after = hostAndPort[(close + 1)...]
            guard after.isEmpty || after.first == colon else {
                throw Invalid("the host has characters after \"]\" that are not a port")
            }
            port = after.isEmpty ? nil : after.dropFirst()
        } else {
            let portStart = hostAndPort.firstIndex(of: colon)
            let host = hostAndPort[..<(portStart ?? hostAndPort.endIndex)]
            port = portStart.map { hostAndPort[($0 + 1)...] }
            output += try normalizeHost(host)
        }
        if let port, let number = try portNumber(port), number != defaultPort(scheme) {
            output += [colon] + Array(String(number).utf8)
        }
        return output
    }

    /// RFC 3986 §3.2.2: an IPv4 address or a registered name, here a DNS host name.
    private static func normalizeHost(_ host: ArraySlice<UInt8>) throws(Invalid) -> [UInt8] {
        guard !host.isEmpty else { throw Invalid("the host is empty") }
        if let bad = host.first(where: { "[]%".utf8.contains($0) }) {
            throw Invalid(
                bad == UInt8(ascii: "%")
                    ? "percent-encoded host names are not supported"
                    : "brackets in a host may only enclose an IPv6 address")
        }
        let text = String(decoding: host, as: UTF8.self)
        do {
            if host.allSatisfy({ isDigit($0) || $0 == dot }) {
                return Array(try parseIPv4(text).utf8)
            }
            return Array(try parseDomain(text).utf8)
        } catch {
            throw Invalid("the host \(quoted(host)) is not valid: \(error.reason)")
        }
    }

    /// RFC 3986 §3.2.3: `port = *DIGIT`; nil when empty, which §6.2.3 treats like no port at all.
    private static func portNumber(_ port: ArraySlice<UInt8>) throws(Invalid) -> Int? {
        guard !port.isEmpty else { return nil }
        guard port.allSatisfy(isDigit) else { throw Invalid("the port \(quoted(port)) is not a decimal number") }
        var number = 0
        for byte in port {
            number = number * 10 + Int(byte - zero)
            guard number <= 65535 else { throw Invalid("the port \(quoted(port)) is greater than 65535") }
        }
        return number
    }

    /// RFC 3986 §6.2.3: the ports a scheme implies when none is given.
    private static func defaultPort(_ scheme: [UInt8]) -> Int? {
        switch String(decoding: scheme, as: UTF8.self) {
        case "http": 80
        case "https": 443
        case "ftp": 21
        default: nil
        }
    }

    /// Checks a component's characters and normalizes its percent-escapes (RFC 3986 §6.2.2.1, §6.2.2.2).
    ///
    /// Unreserved characters, sub-delims, `extra` and percent-escapes are allowed; an escaped unreserved
    /// character is decoded and every other escape uppercased.
    private static func normalizePercent(_ bytes: ArraySlice<UInt8>, extra: String, in component: String)
        throws(Invalid) -> [UInt8]
    {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "%") else {
                guard isUnreserved(byte) || "!$&'()*+,;=".utf8.contains(byte) || extra.utf8.contains(byte) else {
                    throw Invalid("\(component) contains \(quoted([byte])), which has to be percent-encoded there")
                }
                output.append(byte)
                index += 1
                continue
            }
            // RFC 3986 §2.1: pct-encoded = "%" HEXDIG HEXDIG.
            let escape = bytes[index..<min(index + 3, bytes.endIndex)]
            guard escape.count == 3, let high = hexValue(escape[index + 1]), let low = hexValue(escape[index + 2])
            else {
                throw Invalid("\(component) has an invalid percent-escape \(quoted(escape))")
            }
            let decoded = high << 4 | low
            if isUnreserved(decoded) {
                output.append(decoded)
            } else {
                output += [UInt8(ascii: "%"), upperHex(high), upperHex(low)]
            }
            index += 3
        }
        return output
    }

    /// RFC 3986 §5.2.4 remove_dot_segments, in one pass over the input.
    static func removeDotSegments(_ path: [UInt8]) -> [UInt8] {
        var input = path
        var index = 0
        var output: [UInt8] = []
        func rest(is text: String) -> Bool { input[index...].elementsEqual(text.utf8) }
        func rest(startsWith text: String) -> Bool { input[index...].starts(with: text.utf8) }
        func dropLastSegment() {
            output.removeSubrange((output.lastIndex(of: slash) ?? 0)...)
        }
        while index < input.count {
            if rest(startsWith: "../") {  // A
                index += 3
            } else if rest(startsWith: "./") {  // A
                index += 2
            } else if rest(startsWith: "/./") {  // B
                index += 2
            } else if rest(is: "/.") {  // B: replace with "/"
                index += 1
                input[index] = slash
            } else if rest(startsWith: "/../") {  // C
                index += 3
                dropLastSegment()
            } else if rest(is: "/..") {  // C: replace with "/"
                index += 2
                input[index] = slash
                dropLastSegment()
            } else if rest(is: ".") || rest(is: "..") {  // D
                index = input.count
            } else {  // E: move the first segment, with its leading "/", to the output.
                let start = index
                index += 1
                while index < input.count, input[index] != slash { index += 1 }
                output += input[start..<index]
            }
        }
        return output
    }
}

// MARK: - Helpers

// Nested rather than file-scope, so that these short names never clash with declarations elsewhere in the module.
extension TargetValue {
    /// Why a value is not valid: one line that completes "… is not a valid <kind> target: ".
    private struct Invalid: Error {
        let reason: String

        init(_ reason: String) {
            self.reason = reason
        }
    }

    private static let colon = UInt8(ascii: ":")
    private static let dot = UInt8(ascii: ".")
    private static let slash = UInt8(ascii: "/")
    private static let zero = UInt8(ascii: "0")

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= zero && byte <= UInt8(ascii: "9")
    }

    private static func isAlpha(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 0x20 : byte
    }

    /// RFC 3986 §2.3: ALPHA / DIGIT / "-" / "." / "_" / "~".
    private static func isUnreserved(_ byte: UInt8) -> Bool {
        isAlpha(byte) || isDigit(byte) || "-._~".utf8.contains(byte)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func upperHex(_ value: UInt8) -> UInt8 {
        value < 10 ? zero + value : UInt8(ascii: "A") + value - 10
    }

    /// A scalar written as `U+3002 "。"`, so that a message shows it even when it is invisible.
    private static func describe(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex + " "
            + quoted(CollectionOfOne(scalar))
    }

    private static func isInvisible(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .privateUse, .unassigned: true
        default: false
        }
    }

    private static func quoted(_ bytes: some Collection<UInt8>) -> String {
        quoted(String(decoding: bytes, as: UTF8.self).unicodeScalars)
    }

    /// `text` in double quotes and on one line, so that it cannot break or spoof the message around it: quotes,
    /// backslashes, controls, format characters (bidi overrides) and line separators are escaped, and long text
    /// is cut after 80 scalars.
    private static func quoted(_ scalars: some Sequence<Unicode.Scalar>) -> String {
        var output = "\""
        var count = 0
        for scalar in scalars {
            count += 1
            guard count <= 80 else {
                output += "…"
                break
            }
            // A leading combining mark would otherwise fuse with the opening quote.
            if isInvisible(scalar) || (count == 1 && isCombiningMark(scalar)) {
                output += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            } else {
                if scalar == "\"" || scalar == "\\" { output += "\\" }
                output.unicodeScalars.append(scalar)
            }
        }
        return output + "\""
    }
}
