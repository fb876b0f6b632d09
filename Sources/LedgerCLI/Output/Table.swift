/// Plain-text tables with aligned columns.
enum Table {
    /// The table, every cell shown as `Terminal.line` shows it; columns are as wide as their widest shown cell.
    static func render(header: [String], rows: [[String]]) -> String {
        let header = header.map(Terminal.line)
        let rows = rows.map { $0.map(Terminal.line) }
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
            }.joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }
}
