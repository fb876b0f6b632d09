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
}
