import CustodyDomain
import LedgerCore

/// Safe text for the bundle's HTML report, as one rendering version writes it: escaped, isolated against
/// bidirectional-text tricks, indicators defanged (FORMAT.md §11.6).
struct HTMLText {
    /// The rendering whose bytes this writes.
    let version: ReportVersion

    /// Escapes the five HTML-significant characters and shows hidden characters as `[U+…]`.
    ///
    /// So a value cannot reorder or hide the text around it. Version 1 shows fewer characters
    /// (`isFormatControlV1`) in minimal hex; later versions every hidden one (`VisibleText`, FORMAT.md §11.6.1),
    /// tabs and line feeds kept.
    func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                if version == .v1 {
                    if Self.isFormatControlV1(scalar) {
                        out += "[U+" + String(scalar.value, radix: 16, uppercase: true) + "]"
                    } else {
                        out.unicodeScalars.append(scalar)
                    }
                } else if VisibleText.isHidden(scalar) && scalar != "\t" && scalar != "\n" {
                    // From version 2: every hidden character, tabs and line feeds kept.
                    out += VisibleText.notation(scalar)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// A ledger value inside the page: escaped, isolated in `<bdi>`, and long unbroken runs (hashes, keys, URLs)
    /// given break opportunities so that they wrap instead of widening a table.
    func value(_ text: String) -> String { "<bdi>\(breakable(text))</bdi>" }

    /// A free-text value (FORMAT.md §11.6.2) inside the page: from version 2 defanged, then as `value`.
    func freeText(_ text: String) -> String {
        switch version {
        case .v1: value(text)
        case .v2, .v3, .v4: value(Self.defangFreeText(text))
        }
    }

    /// Escapes `text`, inserting `<wbr>` every 16 characters of any run of 25 or more without a space.
    func breakable(_ text: String) -> String {
        var out = ""
        var word: [Unicode.Scalar] = []
        func flush() {
            if word.count >= 25 {
                var index = 0
                while index < word.count {
                    let piece = word[index..<min(index + 16, word.count)]
                    if index > 0 { out += "<wbr>" }
                    out += escape(String(String.UnicodeScalarView(piece)))
                    index += 16
                }
            } else {
                out += escape(String(String.UnicodeScalarView(word)))
            }
            word.removeAll(keepingCapacity: true)
        }
        for scalar in text.unicodeScalars {
            if scalar.properties.isWhitespace {
                flush()
                out += escape(String(scalar))
            } else {
                word.append(scalar)
            }
        }
        flush()
        return out
    }

    /// The controls version 1 shows as code points.
    ///
    /// Bidi embeddings, overrides, isolates and marks, zero-width characters, and C0/C1 controls other than line
    /// feeds and tabs. Frozen: version 1's bytes depend on it.
    static func isFormatControlV1(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0a: false
        case 0x00...0x1f, 0x7f...0x9f: true
        case 0x061c, 0x200b...0x200f, 0x202a...0x202e, 0x2060...0x2069, 0xfeff: true
        default: false
        }
    }

    /// An indicator made safe to print and impossible to click: `hxxp://`, `example[.]com`, `192[.]0[.]2[.]1`,
    /// `2001:db8[:]:1` (the same in every version).
    static func defang(_ value: String, kind: String) -> String {
        var text = value
        if text.lowercased().hasPrefix("http") {
            text = "hxxp" + text.dropFirst(4)
        }
        switch kind {
        case "ip" where text.contains(":"):
            return text.replacingFirstSeparator(":", with: "[:]", fromEnd: true)
        default:
            return text.replacingAll(".", with: "[.]")
        }
    }

    /// The data members whose values are free text (FORMAT.md §11.6.2): what a person typed to describe, explain
    /// or locate, wherever the report shows it; an `entry.corrected` value when the field it corrects is one.
    static let freeTextMembers: Set<String> = [
        "title", "legal_basis", "summary", "reason", "text", "description", "device_state", "seized_from", "location",
        "legal_authority", "purpose", "courier", "tracking", "condition", "report_reference", "authority", "details",
        "write_blocker", "hosting_provider",
    ]

    /// Free text with its URLs, domain names and IP addresses defanged, the rest unchanged (FORMAT.md §11.6.2).
    ///
    /// Words are the runs between White_Space characters. In a word holding `://`, every `.` becomes `[.]`, and
    /// `http` (any case) right before `://` or `s://` becomes `hxxp`. In any other word, each maximal run of ASCII
    /// letters, digits, `-`, `.` and `:`, with leading and trailing `.` and `-` set aside, is an IPv6 address
    /// defanged as a target value, or else each of its `:`-separated parts (again trimmed) that is an IPv4 address
    /// or a domain name has every `.` replaced by `[.]`.
    static func defangFreeText(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var word: [Unicode.Scalar] = []
        func flush() {
            out.append(contentsOf: defangWord(word))
            word.removeAll(keepingCapacity: true)
        }
        for scalar in text.unicodeScalars {
            if scalar.properties.isWhitespace {
                flush()
                out.append(scalar)
            } else {
                word.append(scalar)
            }
        }
        flush()
        return String(out)
    }

    static func defangWord(_ word: [Unicode.Scalar]) -> [Unicode.Scalar] {
        let scheme: [Unicode.Scalar] = [":", "/", "/"]
        guard word.count >= 3, (0...(word.count - 3)).contains(where: { word[$0..<($0 + 3)].elementsEqual(scheme) })
        else { return defangNames(word) }
        var out: [Unicode.Scalar] = []
        var index = 0
        while index < word.count {
            let scalar = word[index]
            if scalar == "." {
                out += ["[", ".", "]"]
            } else if index + 7 <= word.count, isHTTP(word[index..<(index + 4)]),
                word[(index + 4)..<(index + 7)].elementsEqual(scheme)
                    || (index + 8 <= word.count && (word[index + 4] == "s" || word[index + 4] == "S")
                        && word[(index + 5)..<(index + 8)].elementsEqual(scheme))
            {
                out += ["h", "x", "x", "p"]
                index += 4
                continue
            } else {
                out.append(scalar)
            }
            index += 1
        }
        return out
    }

    /// `http` in ASCII letters of any case.
    static func isHTTP(_ letters: ArraySlice<Unicode.Scalar>) -> Bool {
        letters.count == 4
            && zip(letters, "http".unicodeScalars).allSatisfy { $0 == $1 || $0.value + 32 == $1.value }
    }

    static func isAddressCharacter(_ scalar: Unicode.Scalar) -> Bool {
        isASCIILetterOrDigit(scalar) || scalar == "-" || scalar == "." || scalar == ":"
    }

    static func isASCIILetterOrDigit(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
    }

    /// Defangs the IP addresses and domain names among a word's runs of address characters.
    static func defangNames(_ word: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        var index = 0
        while index < word.count {
            guard isAddressCharacter(word[index]) else {
                out.append(word[index])
                index += 1
                continue
            }
            var end = index
            while end < word.count && isAddressCharacter(word[end]) { end += 1 }
            out += defangRun(Array(word[index..<end]))
            index = end
        }
        return out
    }

    /// One run of address characters: its trimmed core an IPv6 address, or its `:`-separated parts names.
    static func defangRun(_ run: [Unicode.Scalar]) -> [Unicode.Scalar] {
        let (lead, core, trail) = trimmed(run[...], of: ".-")
        let text = String(String.UnicodeScalarView(core))
        if IPAddressText.isIPv6(text) {
            return Array(lead) + Array(defang(text, kind: "ip").unicodeScalars) + Array(trail)
        }
        var out: [Unicode.Scalar] = []
        var part: [Unicode.Scalar] = []
        func flushPart() {
            let (before, name, after) = trimmed(part[...], of: ".-")
            let nameText = String(String.UnicodeScalarView(name))
            out += before
            if IPAddressText.isIPv4(nameText) || IPAddressText.isDomainName(nameText) {
                out += Array(nameText.replacingAll(".", with: "[.]").unicodeScalars)
            } else {
                out += name
            }
            out += after
            part.removeAll()
        }
        for scalar in run {
            if scalar == ":" {
                flushPart()
                out.append(scalar)
            } else {
                part.append(scalar)
            }
        }
        flushPart()
        return out
    }

    static func trimmed(_ run: ArraySlice<Unicode.Scalar>, of characters: String) -> (
        ArraySlice<Unicode.Scalar>, ArraySlice<Unicode.Scalar>, ArraySlice<Unicode.Scalar>
    ) {
        let set = Array(characters.unicodeScalars)
        let start = run.firstIndex { !set.contains($0) } ?? run.endIndex
        let end = run.lastIndex { !set.contains($0) }.map { $0 + 1 } ?? start
        return (run[run.startIndex..<start], run[start..<max(start, end)], run[max(start, end)..<run.endIndex])
    }
}

/// The address and name shapes free-text defanging recognizes (FORMAT.md §11.6.2); ASCII only.
enum IPAddressText {
    /// Four decimal parts of one to three digits, each at most 255.
    static func isIPv4(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4
            && parts.allSatisfy { part in
                (1...3).contains(part.count) && part.allSatisfy { $0.isASCII && $0.isNumber }
                    && (Int(part) ?? 256) <= 255
            }
    }

    /// RFC 4291 §2.2 forms 1–3: eight groups of one to four hex digits, or fewer with one `::`, the last two
    /// groups possibly an IPv4 address; no zone, no prefix length.
    static func isIPv6(_ text: String) -> Bool {
        guard text.contains(":") else { return false }
        var groups: [String] = [""]
        var rest = Substring(text)
        while let first = rest.first {
            if rest.hasPrefix("::") {
                groups.append("")
                rest = rest.dropFirst(2)
            } else {
                groups[groups.count - 1].append(first)
                rest = rest.dropFirst()
            }
        }
        guard groups.count <= 2 else { return false }
        let compressed = groups.count == 2
        var count = 0
        for (position, half) in groups.enumerated() where !half.isEmpty {
            let pieces = half.split(separator: ":", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() {
                let last = position == groups.count - 1 && index == pieces.count - 1
                if last && piece.contains(".") {
                    guard isIPv4(String(piece)) else { return false }
                    count += 2
                } else {
                    guard (1...4).contains(piece.count), piece.allSatisfy(\.isHexDigit) else { return false }
                    count += 1
                }
            }
        }
        return compressed ? count <= 7 : count == 8
    }

    /// At least two labels of 1–63 ASCII letters, digits and `-`, none starting or ending with `-`, the last of two
    /// or more letters or starting with `xn--`.
    static func isDomainName(_ text: String) -> Bool {
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2,
            labels.allSatisfy({ label in
                (1...63).contains(label.count) && label.first != "-" && label.last != "-"
                    && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
            }),
            let top = labels.last
        else { return false }
        return (top.count >= 2 && top.allSatisfy(\.isLetter)) || top.lowercased().hasPrefix("xn--")
    }
}

extension String {
    fileprivate func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for character in self { if character == target { out += replacement } else { out.append(character) } }
        return out
    }

    fileprivate func replacingFirstSeparator(_ target: Character, with replacement: String, fromEnd: Bool) -> String {
        guard let index = fromEnd ? lastIndex(of: target) : firstIndex(of: target) else { return self }
        return String(self[..<index]) + replacement + String(self[self.index(after: index)...])
    }
}
