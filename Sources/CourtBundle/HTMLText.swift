import CustodyDomain
import LedgerCore

/// Safe text for the bundle's HTML report: escaped, isolated against bidirectional-text tricks, indicators
/// defanged.
enum HTMLText {
    /// Escapes the five HTML-significant characters and makes bidirectional and other invisible format
    /// controls visible as `[U+XXXX]`, so a value cannot reorder or hide the text around it.
    static func escape(_ text: String) -> String {
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
                if isFormatControl(scalar) {
                    out += "[U+" + String(scalar.value, radix: 16, uppercase: true) + "]"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// A ledger value inside the page: escaped, isolated in `<bdi>`, and long unbroken runs (hashes, keys, URLs)
    /// given break opportunities so that they wrap instead of widening a table.
    static func value(_ text: String) -> String { "<bdi>\(breakable(text))</bdi>" }

    /// Escapes `text`, inserting `<wbr>` every 16 characters of any run of 25 or more without a space.
    static func breakable(_ text: String) -> String {
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

    /// Controls that change how surrounding text is shown: bidi embeddings, overrides, isolates and marks,
    /// zero-width characters, and C0/C1 controls other than line breaks and tabs.
    static func isFormatControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0a: false
        case 0x00...0x1f, 0x7f...0x9f: true
        case 0x061c, 0x200b...0x200f, 0x202a...0x202e, 0x2060...0x2069, 0xfeff: true
        default: false
        }
    }

    /// An indicator made safe to print and impossible to click: `hxxp://`, `example[.]com`, `192.0.2[.]1`,
    /// `2001:db8[:]:1`.
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
