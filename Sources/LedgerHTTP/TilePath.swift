/// A resource of the C2SP tlog-tiles API: a hash tile or an entry bundle, full or partial (c2sp.org/tlog-tiles).
public struct TilePath: Sendable, Equatable {
    /// The tile's level (0 to 63), or nil for an entry bundle.
    public var level: Int?
    /// Its index within the level.
    public var index: Int64
    /// Its width: 256 for a full tile, 1 to 255 for a partial one.
    public var width: Int

    /// Hashes or entries in a full tile.
    public static let fullWidth = 256

    /// A tile from its parts.
    public init(level: Int?, index: Int64, width: Int) {
        self.level = level
        self.index = index
        self.width = width
    }

    /// Parses the path after `tile/`: `<L>/<N>[.p/<W>]` or `entries/<N>[.p/<W>]`; nil if it is not one, in the
    /// spec's exact spelling (no leading zeros, 3-digit `x`-prefixed index elements).
    public init?(_ path: String) {
        var elements = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard elements.count >= 2 else { return nil }
        let first = elements.removeFirst()
        if first == "entries" {
            level = nil
        } else {
            guard let level = Self.decimal(first, max: 63) else { return nil }
            self.level = level
        }
        width = Self.fullWidth
        if elements.count >= 2, elements[elements.count - 2].hasSuffix(".p") {
            guard let width = Self.decimal(elements[elements.count - 1], max: 255), width >= 1 else { return nil }
            self.width = width
            elements.removeLast()
            elements[elements.count - 1].removeLast(2)
        }
        var value: Int64 = 0
        for (position, element) in elements.enumerated() {
            let last = position == elements.count - 1
            let digits = last ? element : (element.hasPrefix("x") ? String(element.dropFirst()) : "")
            guard digits.utf8.count == 3, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let part = Int64(digits)
            else { return nil }
            let (shifted, overflow) = value.multipliedReportingOverflow(by: 1000)
            guard !overflow, elements.count <= 7 else { return nil }
            value = shifted + part
        }
        index = value
    }

    /// The path after `tile/`.
    public var path: String {
        var groups: [String] = []
        var rest = index
        repeat {
            let part = String(rest % 1000)
            groups.insert(String(repeating: "0", count: 3 - part.count) + part, at: 0)
            rest /= 1000
        } while rest > 0
        let number = groups.enumerated().map { $0.offset < groups.count - 1 ? "x" + $0.element : $0.element }
            .joined(separator: "/")
        let prefix = level.map(String.init) ?? "entries"
        return prefix + "/" + number + (width < Self.fullWidth ? ".p/\(width)" : "")
    }

    /// Whether a tree of `size` leaves holds this tile: all of its hashes (or entries) lie within the tree.
    ///
    /// A partial tile of an earlier checkpoint stays available after its tile has grown (tlog-tiles lets a log keep
    /// it), its content being the first `width` hashes of the tile.
    public func exists(inTreeOf size: Int64) -> Bool {
        guard let span = Self.leavesPerHash(level: level ?? 0) else { return false }
        let hashes = size / span  // the hashes of this level that the tree has
        let (first, overflow) = index.multipliedReportingOverflow(by: Int64(Self.fullWidth))
        return !overflow && first <= hashes - Int64(width)
    }

    /// Leaves under one hash of a tile at `level` (256^level), or nil when that overflows.
    public static func leavesPerHash(level: Int) -> Int64? {
        var span: Int64 = 1
        for _ in 0..<level {
            let (next, overflow) = span.multipliedReportingOverflow(by: 256)
            if overflow { return nil }
            span = next
        }
        return span
    }

    private static func decimal(_ text: String, max: Int) -> Int? {
        guard let value = Int(text), value >= 0, value <= max, String(value) == text else { return nil }
        return value
    }
}
