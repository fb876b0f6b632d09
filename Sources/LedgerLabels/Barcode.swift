import CZint

/// One barcode symbol encoded by libzint: as vector rectangles (for SVG) or as an RGB bitmap (for PNG).
struct Barcode {
    enum Symbology {
        /// QR Code (ISO/IEC 18004), error correction level M: what phone cameras read.
        case qr
        /// Code 128 (ISO/IEC 15417): what a keyboard-wedge scanner types.
        case code128

        var zint: Int32 {
            switch self {
            case .qr: BARCODE_QRCODE
            case .code128: BARCODE_CODE128
            }
        }
    }

    /// A filled rectangle, in the symbol's units (one module is `scale` × 2 units wide in zint's vector output).
    struct Rect: Equatable {
        let x: Double
        let y: Double
        let width: Double
        let height: Double
    }

    let rects: [Rect]
    let width: Double
    let height: Double

    /// Encodes `text` (UTF-8 bytes) as vector rectangles, without human-readable text.
    static func vector(_ symbology: Symbology, _ text: String) throws(LabelError) -> Barcode {
        try withSymbol(symbology, text) { symbol, bytes throws(LabelError) in
            let status = ZBarcode_Encode_and_Buffer_Vector(symbol, bytes.baseAddress, Int32(bytes.count), 0)
            try check(status, symbol, text)
            guard let vector = symbol.pointee.vector else { throw .encoding("libzint made no vector for \(text)") }
            var rects: [Rect] = []
            var next = vector.pointee.rectangles
            while let rect = next {
                let r = rect.pointee
                rects.append(Rect(x: Double(r.x), y: Double(r.y), width: Double(r.width), height: Double(r.height)))
                next = r.next
            }
            return Barcode(rects: rects, width: Double(vector.pointee.width), height: Double(vector.pointee.height))
        }
    }

    /// Encodes `text` as a bitmap: rows of black (true) and white pixels, `scale` pixels per module half.
    static func bitmap(_ symbology: Symbology, _ text: String, scale: Float) throws(LabelError) -> Bitmap {
        try withSymbol(symbology, text) { symbol, bytes throws(LabelError) in
            symbol.pointee.scale = scale
            let status = ZBarcode_Encode_and_Buffer(symbol, bytes.baseAddress, Int32(bytes.count), 0)
            try check(status, symbol, text)
            let width = Int(symbol.pointee.bitmap_width)
            let height = Int(symbol.pointee.bitmap_height)
            guard let pixels = symbol.pointee.bitmap, width > 0, height > 0 else {
                throw .encoding("libzint made no bitmap for \(text)")
            }
            var bitmap = Bitmap(width: width, height: height)
            for index in 0..<(width * height) {
                // RGB, 3 bytes a pixel: black is foreground.
                bitmap.black[index] = pixels[3 * index] < 128
            }
            return bitmap
        }
    }

    private static func withSymbol<T>(
        _ symbology: Symbology, _ text: String,
        _ body: (UnsafeMutablePointer<zint_symbol>, UnsafeBufferPointer<UInt8>) throws(LabelError) -> T
    ) throws(LabelError) -> T {
        guard let symbol = ZBarcode_Create() else { throw .encoding("libzint could not allocate a symbol") }
        defer { ZBarcode_Delete(symbol) }
        symbol.pointee.symbology = symbology.zint
        symbol.pointee.show_hrt = 0
        symbol.pointee.input_mode = UNICODE_MODE
        if symbology == .qr { symbol.pointee.option_1 = 2 }  // level M
        if symbology == .code128 { symbol.pointee.height = 30 }
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBufferPointer { buffer throws(LabelError) in try body(symbol, buffer) }
    }

    private static func check(_ status: Int32, _ symbol: UnsafeMutablePointer<zint_symbol>, _ text: String)
        throws(LabelError)
    {
        guard status < ZINT_ERROR else {
            let message = withUnsafeBytes(of: symbol.pointee.errtxt) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            throw .encoding("cannot encode \"\(text)\": \(message)")
        }
    }
}

/// A black-and-white image.
struct Bitmap {
    let width: Int
    let height: Int
    var black: [Bool]

    init(width: Int, height: Int) {
        self.width = width
        self.height = height
        black = [Bool](repeating: false, count: width * height)
    }

    /// Copies `other` into this image with its top left corner at (`x`, `y`).
    mutating func draw(_ other: Bitmap, x: Int, y: Int) {
        for row in 0..<other.height where y + row < height {
            for column in 0..<other.width where x + column < width {
                black[(y + row) * width + x + column] = other.black[row * other.width + column]
            }
        }
    }
}

/// Why a label cannot be made.
public enum LabelError: Error, CustomStringConvertible {
    /// libzint refused the text (too long, not encodable).
    case encoding(String)

    /// The error in one line.
    public var description: String {
        switch self {
        case .encoding(let why): why
        }
    }
}
