import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A progress line on standard error, with the total when it is known, shown only when standard error is a
/// terminal and the work takes a while: output sent to a file or a pipe holds nothing but the result.
final class ProgressLine: @unchecked Sendable {
    // @unchecked: all state is guarded by `lock`.
    private let lock = NSLock()
    private let label: String
    private var total: Int64?
    private let start = Date()
    private var lastDraw = Date.distantPast
    private var drawn = false
    private let enabled = ProgressLine.isShown
    /// Seconds of work before the line is first drawn.
    private let delay: TimeInterval

    /// True when progress is drawn at all (standard error is a terminal): worth computing a total for.
    static var isShown: Bool { isatty(STDERR_FILENO) == 1 }

    /// Seconds of work before a line is first drawn: `LEDGER_PROGRESS_DELAY` (seconds) when set, as the end-to-end
    /// tests do to see the line of a short command on any machine, otherwise half a second.
    static let defaultDelay =
        ProcessInfo.processInfo.environment["LEDGER_PROGRESS_DELAY"].flatMap(TimeInterval.init) ?? 0.5

    init(label: String, total: Int64?, delay: TimeInterval = ProgressLine.defaultDelay) {
        self.label = label
        self.total = total
        self.delay = delay
    }

    /// Shows `done` of the total (a new total, when `total` is given: a phase of known size began).
    func update(_ done: Int64, of newTotal: Int64? = nil) {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        if let newTotal { total = newTotal }
        let now = Date()
        // Only after `delay` (half a second) of work, and at most ten times a second.
        guard now.timeIntervalSince(start) >= delay, now.timeIntervalSince(lastDraw) > 0.1 else { return }
        lastDraw = now
        drawn = true
        let rate = Double(done) / max(now.timeIntervalSince(start), 0.001)
        var text = "\r\(label) \(done)"
        if let total, total > 0 {
            let fraction = min(1, Double(done) / Double(total))
            let filled = Int(fraction * 30)
            text =
                "\r\(label) [" + String(repeating: "#", count: filled) + String(repeating: ".", count: 30 - filled)
                + "] \(done)/\(total) (\(Int(fraction * 100))%)"
        }
        text += String(format: " %.0f/s", rate)
        FileHandle.standardError.write(Data(text.utf8))
    }

    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if drawn { FileHandle.standardError.write(Data("\r\u{1b}[K".utf8)) }
        drawn = false
    }
}

/// Progress through named phases, each with its own total, as one line on standard error: a new
/// ``ProgressLine`` per phase, so that every phase shows its total (shown only on a terminal, like it).
final class PhasedProgress: @unchecked Sendable {
    // @unchecked: all state is guarded by `lock`.
    private let lock = NSLock()
    private var phase = ""
    private var line: ProgressLine?
    /// Seconds of work in a phase before its line is drawn.
    private let delay = ProgressLine.defaultDelay

    /// `done` of `total` in `phase`; a new phase replaces the line of the previous one.
    func update(_ phase: String, _ done: Int64, _ total: Int64) {
        lock.lock()
        defer { lock.unlock() }
        if phase != self.phase || line == nil {
            line?.finish()
            self.phase = phase
            line = ProgressLine(label: phase, total: total, delay: delay)
        }
        line?.update(done)
    }

    /// Clears the line, if one was drawn.
    func finish() {
        lock.lock()
        defer { lock.unlock() }
        line?.finish()
        line = nil
    }
}
