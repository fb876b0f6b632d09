/// Text from the ledger made safe to show to a person: every character that is invisible, or that changes how the
/// text around it is shown, appears as its code point in brackets, `[U+202E]`.
///
/// The command line's tables and lines and the bundle's report (from `custody-ledger-report/2`) use it, so a value
/// reads the same on a terminal and on paper (FORMAT.md §11.6.1). JSON output does not: JSON's escaping is already
/// unambiguous. A value that literally holds the text `[U+202E]` looks the same as one holding the character; the
/// JSON output tells them apart.
public enum VisibleText {
    /// True for a *hidden* scalar (FORMAT.md §11.6.1): C0 and C1 controls; format characters, line and paragraph
    /// separators (the Unicode 16.0 categories Cf, Zl, Zp); the other default-ignorable code points, assigned or
    /// reserved (Hangul fillers, variation selectors, the combining grapheme joiner); private-use characters; and
    /// noncharacters.
    ///
    /// The set is a fixed list rather than the running Unicode tables, so that a report renders to the same bytes
    /// whatever Unicode version the renderer's platform knows. Unassigned code points outside the reserved
    /// default-ignorable ranges are not hidden: which they are changes with every Unicode version.
    public static func isHidden(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if value < 0x7f { return value < 0x20 }
        if value & 0xfffe == 0xfffe { return true }  // U+xFFFE and U+xFFFF of every plane
        switch value {
        case 0x7f...0x9f, 0xad, 0x34f, 0x600...0x605, 0x61c, 0x6dd, 0x70f, 0x890...0x891, 0x8e2: return true
        case 0x115f...0x1160, 0x17b4...0x17b5, 0x180b...0x180f: return true
        case 0x200b...0x200f, 0x2028...0x202e, 0x2060...0x206f, 0x3164: return true
        case 0xe000...0xf8ff, 0xfdd0...0xfdef, 0xfe00...0xfe0f, 0xfeff, 0xffa0, 0xfff0...0xfffb: return true
        case 0x110bd, 0x110cd, 0x13430...0x1343f, 0x1bca0...0x1bca3, 0x1d173...0x1d17a: return true
        case 0xe0000...0xe0fff, 0xf0000...0x10ffff: return true
        default: return false
        }
    }

    /// The scalar's notation: `[U+` ‖ its code point in upper-case hex, at least four digits ‖ `]`.
    public static func notation(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        return "[U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex + "]"
    }

    /// `text` with every hidden scalar replaced by its notation; with `keepingTabsAndLineFeeds`, U+0009 and U+000A
    /// stay as they are (the report keeps them; a terminal line or table cell does not).
    ///
    /// The result holds no hidden scalar (other than those two when kept), so escaping it again changes nothing.
    public static func escape(_ text: String, keepingTabsAndLineFeeds: Bool = false) -> String {
        func hidden(_ scalar: Unicode.Scalar) -> Bool {
            isHidden(scalar) && !(keepingTabsAndLineFeeds && (scalar == "\t" || scalar == "\n"))
        }
        guard text.unicodeScalars.contains(where: hidden) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if hidden(scalar) { out.append(contentsOf: notation(scalar).unicodeScalars) } else { out.append(scalar) }
        }
        return String(out)
    }
}
