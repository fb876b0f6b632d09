import CustodyDomain
import LedgerCore
import LedgerCrypto

/// An item's custody over time as an inline SVG: one lane per person who held or examined it, a bar while they
/// held it, dashed hand-overs while it was in transit, and markers for seal checks and forensic images.
///
/// Up to version 2 of the report, steps are spaced evenly in the order they were recorded, not to scale (the table
/// beside it gives the times). From version 3 they are placed to scale in time between the item's first step and
/// ``end``, pushed apart just enough that no mark hides another, with dates on the axis and a legend of every mark
/// (FORMAT.md §11.6). An item with a single step gets no picture.
struct Timeline {
    let item: ItemRecord
    let steps: [CustodyStep]
    let people: [String: PersonRecord]
    /// How text is written, in the report's rendering.
    let html: HTMLText
    /// Version 3: the recorded time of the last disclosed entry, where the time axis ends.
    var end: String?

    /// The least distance between two steps' marks on a time axis, in pixels.
    static let minimumGap = 14

    /// True from version 3: drawn to scale in time.
    var toScale: Bool { html.version.rawValue >= 3 }

    static let width = 760
    static let laneHeight = 34
    static let left = 190
    static let right = 110
    static let top = 26

    var svg: String {
        guard steps.count > 1 else { return "" }
        var lanes: [String] = []
        func lane(_ person: String) -> Int {
            if let index = lanes.firstIndex(where: { $0.hasSameBytes(as: person) }) { return index }
            lanes.append(person)
            return lanes.count - 1
        }
        // Who holds the item after each step (nil: in transit, lost or disposed), and who examines it.
        var segments: [(lane: Int, from: Int, to: Int, examining: Bool)] = []
        var transits: [(fromLane: Int, toLane: Int, from: Int, to: Int)] = []
        var markers: [(step: Int, lane: Int, kind: String, label: String)] = []
        var holder: (person: String, since: Int)?
        var examiner: (person: String, since: Int)?
        var pending: (from: String, at: Int)?
        for (index, step) in steps.enumerated() {
            let details = step.details
            func text(_ name: String) -> String? { details.member(name)?.stringValue }
            switch step.type {
            case CustodyEvents.itemSeized:
                holder = (step.by, index)
                _ = lane(step.by)
                markers.append((index, lane(step.by), "start", "seized"))
            case CustodyEvents.custodyReleased:
                if let current = holder { segments.append((lane(current.person), current.since, index, false)) }
                pending = (holder?.person ?? step.by, index)
                holder = nil
                if let to = text("to") { _ = lane(to) }
            case CustodyEvents.custodyReceived:
                if let transit = pending {
                    transits.append((lane(transit.from), lane(step.by), transit.at, index))
                }
                pending = nil
                holder = (step.by, index)
                let check = text("seal_check") ?? "intact"
                markers.append((index, lane(step.by), check == "intact" ? "seal-ok" : "seal-bad", "seal \(check)"))
            case CustodyEvents.custodyReleaseCancelled, CustodyEvents.custodyReceiptRefused:
                if let transit = pending {
                    holder = (transit.from, index)
                    markers.append((index, lane(transit.from), "back", "returned"))
                }
                pending = nil
            case CustodyEvents.custodyLost:
                if let transit = pending { markers.append((index, lane(transit.from), "end", "lost")) }
                pending = nil
            case CustodyEvents.custodyReassigned:
                guard let to = text("to") else { break }
                if pending != nil {
                    pending = (pending?.from ?? to, pending?.at ?? index)
                } else if let current = holder {
                    segments.append((lane(current.person), current.since, index, false))
                    holder = (to, index)
                    markers.append((index, lane(to), "back", "reassigned"))
                }
            case CustodyEvents.itemCheckedOut:
                if let to = text("to") { examiner = (to, index) }
            case CustodyEvents.itemCheckedIn:
                if let current = examiner { segments.append((lane(current.person), current.since, index, true)) }
                examiner = nil
            case CustodyEvents.itemAcquired:
                let sha = text("source_sha256").map { "SHA-256 " + $0.prefix(12) + "…" } ?? "image"
                markers.append((index, lane(examiner?.person ?? holder?.person ?? step.by), "image", sha))
            case CustodyEvents.itemSealed, CustodyEvents.itemUnsealed:
                let sealed = step.type == CustodyEvents.itemSealed
                markers.append(
                    (
                        index, lane(holder?.person ?? step.by), sealed ? "seal-ok" : "unseal",
                        sealed ? "sealed" : "unsealed"
                    ))
            case CustodyEvents.itemDisposed:
                if let current = holder { segments.append((lane(current.person), current.since, index, false)) }
                holder = nil
                markers.append((index, lane(step.by), "end", text("method") ?? "disposed"))
            default: break
            }
        }
        let last = steps.count - 1
        // Whoever holds it at the checkpoint holds it to the right edge.
        let edge = last + 1
        if let current = holder { segments.append((lane(current.person), current.since, edge, false)) }
        if let current = examiner { segments.append((lane(current.person), current.since, edge, true)) }
        if let transit = pending { transits.append((lane(transit.from), -1, transit.at, edge)) }

        let height = Self.top + lanes.count * Self.laneHeight + (toScale ? 86 : 62)
        let span = Double(Self.width - Self.left - Self.right)
        let positions = toScale ? Self.scaledPositions(times: steps.map(\.time), end: end) : nil
        func x(_ index: Int) -> Int {
            if index > last { return Self.width - 12 }
            if let positions { return positions[index] }
            return Self.left + Int((span * Double(index) / Double(last)).rounded())
        }
        func y(_ lane: Int) -> Int { Self.top + lane * Self.laneHeight + Self.laneHeight / 2 }
        var out =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Self.width) \(height)\" role=\"img\" "
            + "aria-label=\"Custody timeline of item \(html.escape(item.id))\" "
            + "font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"10\">\n"
        out += "<title>Who held item \(html.escape(item.id)) over time</title>\n"
        for (index, person) in lanes.enumerated() {
            let name = Self.fit(people[person]?.name ?? person, 30)
            let agency = Self.fit(people[person]?.agency ?? "", 38)
            out += Self.line(Self.left, y(index), Self.width - 12, y(index), "stroke=\"#ddd\"")
            out += textElement(4, y(index) - 2, name, "font-size=\"10\" font-weight=\"bold\"")
            out += textElement(4, y(index) + 9, agency, "font-size=\"8\" fill=\"#444\"")
        }
        for segment in segments {
            let color = segment.examining ? "#8fb3d9" : "#2d6a4f"
            let thickness = segment.examining ? 6 : 10
            let top = y(segment.lane) - thickness / 2 + (segment.examining ? 9 : 0)
            let width = max(2, x(segment.to) - x(segment.from))
            out +=
                "<rect x=\"\(x(segment.from))\" y=\"\(top)\" width=\"\(width)\" height=\"\(thickness)\" fill=\"\(color)\"/>\n"
        }
        for transit in transits {
            let toY = transit.toLane >= 0 ? y(transit.toLane) : y(transit.fromLane)
            out += Self.line(
                x(transit.from), y(transit.fromLane), x(transit.to), toY,
                "stroke=\"#b5651d\" stroke-width=\"2\" stroke-dasharray=\"5 3\"")
        }
        for marker in markers {
            let cx = x(marker.step)
            let cy = y(marker.lane)
            out += toScale ? Self.symbolV3(marker.kind, cx, cy) : Self.symbol(marker.kind, cx, cy)
            let nearEnd = cx > Self.width - Self.right - 10
            // Labels of neighbouring steps alternate above and below the lane, so they do not overlap.
            let labelY = marker.step % 2 == 0 ? cy - 8 : cy + 17
            out += textElement(
                nearEnd ? cx - 9 : cx + 9, labelY, Self.fit(marker.label, 30),
                "font-size=\"8\" fill=\"#333\"" + (nearEnd ? " text-anchor=\"end\"" : ""))
        }
        let axis = Self.top + lanes.count * Self.laneHeight + 6
        out += Self.line(Self.left, axis, Self.width - 12, axis, "stroke=\"#555\"")
        var lastLabel = -100
        var lastDate = ""
        for (index, step) in steps.enumerated() {
            out += Self.line(x(index), axis, x(index), axis + 4, "stroke=\"#555\"")
            guard x(index) - lastLabel >= 46 || index == last else { continue }
            lastLabel = x(index)
            out += textElement(x(index), axis + 14, "step \(step.number)", "font-size=\"8\" text-anchor=\"middle\"")
            let date = String(step.time.prefix(10))
            if date != lastDate {
                lastDate = date
                out += textElement(x(index), axis + 24, date, "font-size=\"7\" fill=\"#555\" text-anchor=\"middle\"")
            }
        }
        out += toScale ? legendV3(y: axis + 42) : legend(y: axis + 42)
        out += "</svg>\n"
        return out
    }

    /// Version 3: each step's x, proportional to its recorded time between the first step and ``end``, then pushed
    /// apart to ``minimumGap`` (forwards, and back from the right end when that overflows); evenly spaced when the
    /// times are all equal or too crowded to separate.
    static func scaledPositions(times recorded: [String], end: String?) -> [Int] {
        let span = Self.width - Self.left - Self.right
        let times = recorded.map { LedgerTime.milliseconds($0) ?? 0 }
        let first = times.first ?? 0
        let last = max(times.max() ?? first, end.flatMap { LedgerTime.milliseconds($0) } ?? first)
        let count = times.count
        guard count > 1 else { return times.map { _ in Self.left } }
        let evenly = (0..<count).map { Self.left + Int((Double(span) * Double($0) / Double(count - 1)).rounded()) }
        guard last > first, (count - 1) * Self.minimumGap <= span else { return evenly }
        var positions = times.map {
            Self.left + Int((Double(span) * Double($0 - first) / Double(last - first)).rounded())
        }
        for index in positions.indices.dropFirst() {
            positions[index] = max(positions[index], positions[index - 1] + Self.minimumGap)
        }
        positions[count - 1] = min(positions[count - 1], Self.left + span)
        for index in positions.indices.dropLast().reversed() {
            positions[index] = min(positions[index], positions[index + 1] - Self.minimumGap)
        }
        return positions
    }

    /// Version 3: the key to every mark the picture can hold, in two rows, and the time scale.
    func legendV3(y: Int) -> String {
        let rows: [[(symbol: String, label: String, width: Int)]] = [
            [
                ("<rect x=\"0\" y=\"\(y - 4)\" width=\"12\" height=\"8\" fill=\"#2d6a4f\"/>", "held", 44),
                ("<rect x=\"0\" y=\"\(y - 2)\" width=\"12\" height=\"5\" fill=\"#8fb3d9\"/>", "examining", 66),
                (
                    Self.line(0, y, 12, y, "stroke=\"#b5651d\" stroke-width=\"2\" stroke-dasharray=\"4 2\""),
                    "in transit", 66
                ),
                (Self.symbolV3("start", 6, y), "seized", 52),
                (Self.symbol("seal-ok", 6, y), "sealed, or received with seal intact", 178),
                (Self.symbol("seal-bad", 6, y), "seal broken or not matching", 150),
            ],
            [
                (Self.symbol("unseal", 6, y + 16), "seal opened", 72),
                (Self.symbol("back", 6, y + 16), "returned or reassigned", 124),
                (Self.symbol("image", 6, y + 16), "forensic image", 86),
                (Self.symbol("end", 6, y + 16), "lost or disposed", 96),
            ],
        ]
        var out = ""
        for (row, entries) in rows.enumerated() {
            var x = 4
            for entry in entries {
                out += "<g transform=\"translate(\(x) 0)\">\(entry.symbol.filter { $0 != "\n" })</g>\n"
                out += textElement(x + 16, y + 3 + row * 16, entry.label, "font-size=\"8\"")
                x += entry.width
            }
            if row == 1 {
                let from = String(steps.first?.time.prefix(10) ?? "")
                let to = String((end ?? steps.last?.time ?? "").prefix(10))
                out += textElement(
                    x + 4, y + 19, "to scale in time, \(from) to \(to) (UTC)", "font-size=\"8\" fill=\"#555\"")
            }
        }
        return out
    }

    static func line(_ x1: Int, _ y1: Int, _ x2: Int, _ y2: Int, _ style: String) -> String {
        "<line x1=\"\(x1)\" y1=\"\(y1)\" x2=\"\(x2)\" y2=\"\(y2)\" \(style)/>\n"
    }

    /// Escaped, bidi-isolated text.
    func textElement(_ x: Int, _ y: Int, _ content: String, _ style: String) -> String {
        "<text x=\"\(x)\" y=\"\(y)\" \(style) unicode-bidi=\"isolate\">\(html.escape(content))</text>\n"
    }

    /// The marker of one kind of step, centred on (x, y).
    static func symbol(_ kind: String, _ x: Int, _ y: Int) -> String {
        switch kind {
        case "seal-ok": "<circle cx=\"\(x)\" cy=\"\(y)\" r=\"6\" fill=\"#fff\" stroke=\"#060\" stroke-width=\"2.5\"/>\n"
        case "seal-bad": "<circle cx=\"\(x)\" cy=\"\(y)\" r=\"6\" fill=\"#a00\"/>\n"
        case "unseal": "<circle cx=\"\(x)\" cy=\"\(y)\" r=\"6\" fill=\"#b5651d\"/>\n"
        case "image": "<path d=\"M\(x) \(y - 8)L\(x + 8) \(y)L\(x) \(y + 8)L\(x - 8) \(y)Z\" fill=\"#1d4e89\"/>\n"
        case "end":
            "<path d=\"M\(x - 6) \(y - 6)L\(x + 6) \(y + 6)M\(x + 6) \(y - 6)L\(x - 6) \(y + 6)\" stroke=\"#a00\" stroke-width=\"3\"/>\n"
        case "start": "<rect x=\"\(x - 5)\" y=\"\(y - 5)\" width=\"10\" height=\"10\" fill=\"#2d6a4f\"/>\n"
        default: "<circle cx=\"\(x)\" cy=\"\(y)\" r=\"4\" fill=\"#2d6a4f\"/>\n"
        }
    }

    /// Version 3: as ``symbol(_:_:_:)``, but the seizure's square is outlined, so that it shows on the bar of
    /// the holder it starts.
    static func symbolV3(_ kind: String, _ x: Int, _ y: Int) -> String {
        guard kind == "start" else { return symbol(kind, x, y) }
        return
            "<rect x=\"\(x - 6)\" y=\"\(y - 6)\" width=\"12\" height=\"12\" fill=\"#2d6a4f\" stroke=\"#fff\" stroke-width=\"2\"/>\n"
    }

    /// `text` cut to `count` characters, with an ellipsis when cut.
    static func fit(_ text: String, _ count: Int) -> String {
        text.count <= count ? text : String(text.prefix(count - 1)) + "…"
    }

    /// The key to the symbols, and how to read the axis.
    func legend(y: Int) -> String {
        var out = ""
        var x = 4
        let entries: [(symbol: String, label: String, width: Int)] = [
            ("<rect x=\"0\" y=\"\(y - 4)\" width=\"12\" height=\"8\" fill=\"#2d6a4f\"/>\n", "held", 44),
            ("<rect x=\"0\" y=\"\(y - 2)\" width=\"12\" height=\"5\" fill=\"#8fb3d9\"/>\n", "examining", 66),
            ("", "in transit", 66), (Self.symbol("start", 6, y), "seized", 52),
            (Self.symbol("seal-ok", 6, y), "sealed, seal intact", 104),
            (Self.symbol("seal-bad", 6, y), "seal broken", 70), (Self.symbol("image", 6, y), "forensic image", 86),
            (Self.symbol("end", 6, y), "lost or disposed", 92),
        ]
        for entry in entries {
            var symbol = entry.symbol
            if entry.label == "in transit" {
                symbol = Self.line(0, y, 12, y, "stroke=\"#b5651d\" stroke-width=\"2\" stroke-dasharray=\"4 2\"")
            }
            out += "<g transform=\"translate(\(x) 0)\">\(symbol.filter { $0 != "\n" })</g>\n"
            out += textElement(x + 16, y + 3, entry.label, "font-size=\"8\"")
            x += entry.width
        }
        out += textElement(x + 4, y + 3, "steps evenly spaced, not to scale", "font-size=\"8\" fill=\"#555\"")
        return out
    }
}
