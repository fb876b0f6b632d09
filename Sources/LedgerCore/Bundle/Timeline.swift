import LedgerCrypto

/// An item's custody over time as an inline SVG: one lane per person who held or examined it, a bar while they
/// held it, dashed hand-overs while it was in transit, and markers for seal checks and forensic images.
///
/// Steps are spaced evenly in the order they were recorded (the table beside it gives the times), so that a
/// busy day stays readable.
struct Timeline {
    let item: ItemRecord
    let steps: [CustodyStep]
    let people: [String: PersonRecord]

    static let width = 760
    static let laneHeight = 34
    static let left = 190
    static let right = 24
    static let top = 26

    var svg: String {
        guard !steps.isEmpty else { return "" }
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
        if let current = holder { segments.append((lane(current.person), current.since, last, false)) }
        if let current = examiner { segments.append((lane(current.person), current.since, last, true)) }
        if let transit = pending { transits.append((lane(transit.from), -1, transit.at, last)) }

        let height = Self.top + lanes.count * Self.laneHeight + 40
        let span = Double(Self.width - Self.left - Self.right)
        func x(_ index: Int) -> Int {
            steps.count == 1
                ? Self.left + Int(span / 2) : Self.left + Int((span * Double(index) / Double(last)).rounded())
        }
        func y(_ lane: Int) -> Int { Self.top + lane * Self.laneHeight + Self.laneHeight / 2 }
        var out =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Self.width) \(height)\" role=\"img\" aria-label=\"Custody timeline of item \(HTMLText.escape(item.id))\" font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"10\">\n"
        out += "<title>Who held item \(HTMLText.escape(item.id)) over time</title>\n"
        for (index, person) in lanes.enumerated() {
            let name = people[person].map { "\($0.name) (\($0.agency))" } ?? person
            out +=
                "<line x1=\"\(Self.left)\" y1=\"\(y(index))\" x2=\"\(Self.width - Self.right)\" y2=\"\(y(index))\" stroke=\"#ddd\"/>\n"
            out +=
                "<text x=\"4\" y=\"\(y(index) + 4)\" unicode-bidi=\"isolate\">\(HTMLText.escape(String(name.prefix(34))))</text>\n"
        }
        for segment in segments {
            let color = segment.examining ? "#8fb3d9" : "#2d6a4f"
            let thickness = segment.examining ? 6 : 10
            let top = y(segment.lane) - thickness / 2 + (segment.examining ? 9 : 0)
            out +=
                "<rect x=\"\(x(segment.from))\" y=\"\(top)\" width=\"\(max(2, x(segment.to) - x(segment.from)))\" height=\"\(thickness)\" fill=\"\(color)\"/>\n"
        }
        for transit in transits {
            let toY = transit.toLane >= 0 ? y(transit.toLane) : y(transit.fromLane)
            out +=
                "<line x1=\"\(x(transit.from))\" y1=\"\(y(transit.fromLane))\" x2=\"\(x(transit.to))\" y2=\"\(toY)\" stroke=\"#b5651d\" stroke-width=\"2\" stroke-dasharray=\"5 3\"/>\n"
        }
        for marker in markers {
            let cx = x(marker.step)
            let cy = y(marker.lane)
            switch marker.kind {
            case "seal-ok":
                out +=
                    "<circle cx=\"\(cx)\" cy=\"\(cy)\" r=\"6\" fill=\"#fff\" stroke=\"#060\" stroke-width=\"2.5\"/>\n"
            case "seal-bad", "unseal":
                let color = marker.kind == "unseal" ? "#b5651d" : "#a00"
                out += "<circle cx=\"\(cx)\" cy=\"\(cy)\" r=\"6\" fill=\"\(color)\" stroke=\"\(color)\"/>\n"
            case "image":
                out +=
                    "<path d=\"M\(cx) \(cy - 8)L\(cx + 8) \(cy)L\(cx) \(cy + 8)L\(cx - 8) \(cy)Z\" fill=\"#1d4e89\"/>\n"
            case "end":
                out +=
                    "<path d=\"M\(cx - 6) \(cy - 6)L\(cx + 6) \(cy + 6)M\(cx + 6) \(cy - 6)L\(cx - 6) \(cy + 6)\" stroke=\"#a00\" stroke-width=\"3\"/>\n"
            default: out += "<circle cx=\"\(cx)\" cy=\"\(cy)\" r=\"4\" fill=\"#2d6a4f\"/>\n"
            }
            out +=
                "<text x=\"\(cx + 8)\" y=\"\(cy - 8)\" font-size=\"8\" fill=\"#333\">\(HTMLText.escape(marker.label))</text>\n"
        }
        let axis = Self.top + lanes.count * Self.laneHeight + 6
        out +=
            "<line x1=\"\(Self.left)\" y1=\"\(axis)\" x2=\"\(Self.width - Self.right)\" y2=\"\(axis)\" stroke=\"#555\"/>\n"
        var lastLabel = -100
        for (index, step) in steps.enumerated() {
            out += "<line x1=\"\(x(index))\" y1=\"\(axis)\" x2=\"\(x(index))\" y2=\"\(axis + 4)\" stroke=\"#555\"/>\n"
            guard x(index) - lastLabel >= 60 || index == last else { continue }
            lastLabel = x(index)
            out +=
                "<text x=\"\(x(index))\" y=\"\(axis + 15)\" font-size=\"8\" text-anchor=\"middle\">\(step.number): \(HTMLText.escape(String(step.time.prefix(10))))</text>\n"
        }
        out += "</svg>\n"
        return out
    }
}
