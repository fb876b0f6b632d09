import LedgerCore
import Testing

/// Hidden characters shown as code points (FORMAT.md §11.6.1), as the terminal and the report show them.
struct VisibleTextTests {
    @Test(arguments: [
        ("\u{202E}gnp.exe", "[U+202E]gnp.exe"),
        ("a\u{200B}b\u{200D}c\u{2066}d\u{2069}", "a[U+200B]b[U+200D]c[U+2066]d[U+2069]"),
        ("line\nnext\tcol\r", "line[U+000A]next[U+0009]col[U+000D]"),
        ("\u{0}\u{1B}[31m\u{7F}\u{85}\u{9F}", "[U+0000][U+001B][31m[U+007F][U+0085][U+009F]"),
        ("soft\u{AD}hyphen \u{61C}\u{200E}\u{200F}", "soft[U+00AD]hyphen [U+061C][U+200E][U+200F]"),
        ("tag\u{E0001}\u{E0041}\u{E007F}", "tag[U+E0001][U+E0041][U+E007F]"),
        ("\u{2028}\u{2029}\u{FEFF}\u{FFF9}", "[U+2028][U+2029][U+FEFF][U+FFF9]"),
        ("\u{115F}\u{3164}\u{FFA0}\u{34F}\u{FE0F}\u{E0100}", "[U+115F][U+3164][U+FFA0][U+034F][U+FE0F][U+E0100]"),
        ("private \u{E000}\u{F8FF}\u{F0000}\u{10FFFD}", "private [U+E000][U+F8FF][U+F0000][U+10FFFD]"),
        ("reserved \u{2065}\u{FFF0}\u{E0FFF}", "reserved [U+2065][U+FFF0][U+E0FFF]"),
    ])
    func hiddenCharactersBecomeCodePoints(text: String, shown: String) {
        #expect(VisibleText.escape(text) == shown)
        #expect(VisibleText.escape(shown) == shown)
    }

    @Test(arguments: [
        "plain ASCII, [brackets] and U+202E as text", "Zoë Ångström — café ☕ 東京 😀 👩🏽", "e\u{301} (combining acute)",
        "\u{FFFC}\u{FFFD} \u{A0}no-break \u{3000}ideographic", "Hebrew שלום and Arabic مرحبا stay as written",
    ])
    func visibleTextIsUnchanged(text: String) {
        #expect(VisibleText.escape(text) == text)
    }

    @Test func noncharactersAreHidden() {
        // Swift string literals refuse them, so they are built from their code points.
        let values: [UInt32] = [0xFDD0, 0xFDEF, 0xFFFE, 0xFFFF, 0x1FFFE, 0x1FFFF, 0x10FFFE, 0x10FFFF]
        let text = String(String.UnicodeScalarView(values.compactMap(Unicode.Scalar.init)))
        #expect(
            VisibleText.escape(text)
                == "[U+FDD0][U+FDEF][U+FFFE][U+FFFF][U+1FFFE][U+1FFFF][U+10FFFE][U+10FFFF]")
    }

    @Test func tabsAndLineFeedsCanBeKept() {
        #expect(VisibleText.escape("a\tb\nc\rd", keepingTabsAndLineFeeds: true) == "a\tb\nc[U+000D]d")
    }

    @Test func theFixedListIsCcCfZlZpCoNoncharactersAndDefaultIgnorables() {
        // Every scalar this toolchain's Unicode tables put in Cc, Cf, Zl, Zp or Co, or call default-ignorable or a
        // noncharacter, is hidden; nothing else is but the reserved default-ignorable ranges.
        for value in UInt32(0)...0x10FFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let properties = scalar.properties
            let category = properties.generalCategory
            let expected =
                [.control, .format, .lineSeparator, .paragraphSeparator, .privateUse].contains(category)
                || properties.isDefaultIgnorableCodePoint || properties.isNoncharacterCodePoint
            if expected != VisibleText.isHidden(scalar) {
                #expect(category == .unassigned, "U+\(String(value, radix: 16)) \(category)")
            }
        }
    }

    @Test func notationHasAtLeastFourDigits() {
        #expect(VisibleText.notation("\u{9}") == "[U+0009]")
        #expect(VisibleText.notation("\u{202E}") == "[U+202E]")
        #expect(VisibleText.notation("\u{E0041}") == "[U+E0041]")
        #expect(VisibleText.notation("\u{10FFFF}") == "[U+10FFFF]")
    }
}
