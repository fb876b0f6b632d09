/// A printable label: an exhibit's (a QR code with the item's address, a Code 128 of its id and its facts), a
/// seal's or a storage location's (a QR code and a Code 128 of the number or place), as SVG or PNG.
///
/// What the codes hold (docs/WEB.md §Labels): the Code 128 holds the item id, seal number or location text itself,
/// which a keyboard-wedge scanner types into the page's scan field; an exhibit's QR code holds the item page's
/// address (`<server URL>/#/item/<id>`) when the label is made for a server, else the item id; a seal's or
/// location's QR code holds the same text as its Code 128. (QR rather than Data Matrix: every phone camera and
/// `zbarimg` read it.)
public struct Label: Sendable, Equatable {
    /// The lines printed beside the QR code (the first in bold).
    public let lines: [String]
    /// What the QR code holds.
    public let matrix: String
    /// What the Code 128 holds.
    public let linear: String

    /// An item's label: id, exhibit number, case and seal.
    public static func exhibit(id: String, exhibit: String, caseID: String, kind: String, seal: String?, url: String?)
        -> Label
    {
        let address = url.map { ($0.hasSuffix("/") ? String($0.dropLast()) : $0) + "/#/item/" + id } ?? id
        return Label(
            lines: [id, "Exhibit \(exhibit)", "Case \(caseID)", kind, "Seal \(seal ?? "none")"], matrix: address,
            linear: id)
    }

    /// A seal's label.
    public static func seal(_ number: String) -> Label {
        Label(lines: ["SEAL", number], matrix: number, linear: number)
    }

    /// A storage location's label.
    public static func location(_ place: String) -> Label {
        Label(lines: ["LOCATION", place], matrix: place, linear: place)
    }

    /// The label as a standalone SVG document (no fonts or images from elsewhere).
    public func svg() throws(LabelError) -> [UInt8] {
        let matrixCode = try Barcode.vector(.qr, matrix)
        let linearCode = try Barcode.vector(.code128, linear)
        let width = 640.0
        let height = 380.0
        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" width="640" height="380" viewBox="0 0 640 380" \
            role="img" aria-label="\(Self.escape("Label " + lines.joined(separator: ", ")))">
            <rect width="\(width)" height="\(height)" fill="#fff"/>

            """
        out += Self.rects(matrixCode, x: 40, y: 40, width: 180, height: 180)
        for (index, line) in lines.enumerated() {
            let size = index == 0 ? 34 : 22
            let weight = index == 0 ? "700" : "400"
            out += """
                <text x="250" y="\(70 + index * 36)" font-family="DejaVu Sans, Arial, sans-serif" \
                font-size="\(size)" font-weight="\(weight)" fill="#000">\(Self.escape(Self.cut(line, 26)))</text>

                """
        }
        out += Self.rects(linearCode, x: 70, y: 250, width: 500, height: 80)
        out += """
            <text x="320" y="362" text-anchor="middle" font-family="DejaVu Sans Mono, monospace" font-size="20" \
            fill="#000">\(Self.escape(Self.cut(linear, 40)))</text>
            </svg>

            """
        return Array(out.utf8)
    }

    /// The label as a PNG image: the QR code above the Code 128 (with its text), with quiet zones around both.
    public func png() throws(LabelError) -> [UInt8] {
        let matrixCode = try Barcode.bitmap(.qr, matrix, scale: 3)
        let linearCode = try Barcode.bitmap(.code128, linear, scale: 2)
        let margin = 48
        let width = max(matrixCode.width, linearCode.width) + 2 * margin
        let height = margin + matrixCode.height + margin + linearCode.height + margin
        var canvas = Bitmap(width: width, height: height)
        canvas.draw(matrixCode, x: (width - matrixCode.width) / 2, y: margin)
        canvas.draw(linearCode, x: (width - linearCode.width) / 2, y: 2 * margin + matrixCode.height)
        return PNG.encode(canvas)
    }

    private static func rects(_ code: Barcode, x: Double, y: Double, width: Double, height: Double) -> String {
        let sx = width / code.width
        let sy = height / code.height
        // A QR code keeps square modules: the smaller scale for both axes, centred.
        let square = code.width > 0 && abs(code.width - code.height) < 0.01
        let (scaleX, scaleY) = square ? (min(sx, sy), min(sx, sy)) : (sx, sy)
        var path = ""
        for rect in code.rects {
            path += "M\(fmt(x + rect.x * scaleX)) \(fmt(y + rect.y * scaleY))h\(fmt(rect.width * scaleX))"
            path += "v\(fmt(rect.height * scaleY))h-\(fmt(rect.width * scaleX))z"
        }
        return "<path fill=\"#000\" d=\"\(path)\"/>\n"
    }

    private static func fmt(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }

    private static func cut(_ text: String, _ limit: Int) -> String {
        text.count > limit ? String(text.prefix(limit - 1)) + "…" : text
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                // Control characters have no place in XML 1.0 text.
                out += scalar.value < 0x20 || (0x7f...0x9f).contains(scalar.value) ? "\u{FFFD}" : String(scalar)
            }
        }
        return out
    }
}
