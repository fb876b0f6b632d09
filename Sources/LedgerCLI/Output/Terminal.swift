import Foundation
import LedgerCore

/// Text for people at a terminal, with the ledger's hidden characters shown as `[U+XXXX]`.
///
/// Every value from the ledger is shown with its bidi controls, zero-width and other invisible characters,
/// controls and line breaks as the bundle's report shows them (FORMAT.md §11.6.1), so that a value can neither
/// reorder nor hide what is printed around it, nor start a line of its own. `--json` output is left to JSON's own
/// escaping.
enum Terminal {
    /// One printed line (or table cell) holding ledger values.
    static func line(_ text: String) -> String { VisibleText.escape(text) }

    /// Lines the command built, each escaped, joined with line feeds: a line feed inside a value shows as
    /// `[U+000A]` and only the command's own line feeds break lines.
    static func lines(_ lines: [String]) -> String { lines.map(line).joined(separator: "\n") }

    /// How many terminal columns `text` takes: two for each East Asian wide or fullwidth character (Unicode UAX #11:
    /// Hangul, CJK, kana, fullwidth forms, most emoji), one for each other character, combining marks included in it.
    static func width(_ text: String) -> Int {
        text.reduce(0) { sum, character in
            guard let first = character.unicodeScalars.first else { return sum }
            return sum + (isWide(first.value) ? 2 : 1)
        }
    }

    /// The East Asian Wide (W) and Fullwidth (F) ranges of UAX #11 a table cell is likely to hold.
    private static let wideRanges: [ClosedRange<UInt32>] = [
        0x1100...0x115F, 0x231A...0x231B, 0x2329...0x232A, 0x23E9...0x23EC, 0x23F0...0x23F0, 0x23F3...0x23F3,
        0x25FD...0x25FE, 0x2614...0x2615, 0x2648...0x2653, 0x267F...0x267F, 0x2693...0x2693, 0x26A1...0x26A1,
        0x26AA...0x26AB, 0x26BD...0x26BE, 0x26C4...0x26C5, 0x26CE...0x26CE, 0x26D4...0x26D4, 0x26EA...0x26EA,
        0x26F2...0x26F3, 0x26F5...0x26F5, 0x26FA...0x26FA, 0x26FD...0x26FD, 0x2705...0x2705, 0x270A...0x270B,
        0x2728...0x2728, 0x274C...0x274C, 0x274E...0x274E, 0x2753...0x2755, 0x2757...0x2757, 0x2795...0x2797,
        0x27B0...0x27B0, 0x27BF...0x27BF, 0x2B1B...0x2B1C, 0x2B50...0x2B50, 0x2B55...0x2B55, 0x2E80...0x303E,
        0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF, 0xA960...0xA97F, 0xAC00...0xD7A3,
        0xF900...0xFAFF, 0xFE10...0xFE19, 0xFE30...0xFE6F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x16FE0...0x18CFF,
        0x1B000...0x1B2FF, 0x1F004...0x1F004, 0x1F0CF...0x1F0CF, 0x1F18E...0x1F18E, 0x1F191...0x1F19A,
        0x1F200...0x1F251, 0x1F300...0x1F64F, 0x1F680...0x1F6FF, 0x1F7E0...0x1F7EB, 0x1F90C...0x1F9FF,
        0x1FA70...0x1FAFF, 0x20000...0x2FFFD, 0x30000...0x3FFFD,
    ]

    private static func isWide(_ value: UInt32) -> Bool {
        // Below U+1100 nothing is wide: the common case costs one comparison.
        guard value >= 0x1100 else { return false }
        return wideRanges.contains { $0.contains(value) }
    }
}

extension Terminal {
    /// The width to print for: the terminal's columns when standard output is one, else `$COLUMNS`, else 80.
    static func columns() -> Int {
        var size = winsize()
        if isatty(STDOUT_FILENO) == 1, ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 {
            return Int(size.ws_col)
        }
        if let text = ProcessInfo.processInfo.environment["COLUMNS"], let columns = Int(text), columns > 0 {
            return columns
        }
        return 80
    }

    /// `text` (already escaped for the terminal) broken at spaces into lines of at most `width` columns; a word
    /// longer than a line is cut.
    static func wrap(_ text: String, width: Int) -> [String] {
        let width = max(width, 10)
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: true).map(String.init) {
            var word = word
            while Terminal.width(word) > width {
                if !line.isEmpty {
                    lines.append(line)
                    line = ""
                }
                var head = ""
                for character in word {
                    if Terminal.width(head + String(character)) > width { break }
                    head.append(character)
                }
                lines.append(head)
                word = String(word.dropFirst(head.count))
            }
            if line.isEmpty {
                line = word
            } else if Terminal.width(line) + 1 + Terminal.width(word) <= width {
                line += " " + word
            } else {
                lines.append(line)
                line = word
            }
        }
        if !line.isEmpty || lines.isEmpty { lines.append(line) }
        return lines
    }
}
