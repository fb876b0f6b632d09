/// Plain-text tables with aligned columns.
enum Table {
    /// The table, every cell shown as `Terminal.line` shows it; columns are as wide as their widest shown cell, in
    /// terminal columns (a Korean or Chinese character takes two).
    static func render(header: [String], rows: [[String]]) -> String {
        let header = header.map(Terminal.line)
        let rows = rows.map { $0.map(Terminal.line) }
        var widths = header.map(Terminal.width)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], Terminal.width(cell))
            }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1
                    ? cell : cell + String(repeating: " ", count: max(0, widths[index] - Terminal.width(cell)))
            }.joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }
}
