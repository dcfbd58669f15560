import RUDP

/// A one-line progress bar on standard error, drawn only when standard error is a terminal
/// (never in pipes, logs or tests), redrawn at most ten times a second.
///
/// ```swift
/// var bar = ProgressBar(title: "sending", total: fileSize)
/// bar.update(completed: bytesSoFar)
/// bar.finish()
/// ```
struct ProgressBar {
    /// What is being done, shown before the bar.
    let title: String
    /// The total in bytes (0 if unknown).
    let total: UInt64
    /// Whether anything is drawn at all.
    let isEnabled: Bool

    private var completed: UInt64 = 0
    private let start = ContinuousClock.now
    private var lastDraw: ContinuousClock.Instant?
    private var hasDrawn = false

    /// The width of the bar itself, in characters.
    private static let barWidth = 30

    /// A progress bar, enabled when standard error is a terminal and `enabled` is true.
    init(title: String, total: UInt64, enabled: Bool = true) {
        self.title = title
        self.total = total
        self.isEnabled = enabled && Console.standardErrorIsTerminal
    }

    /// Records progress and redraws if a tenth of a second passed since the last drawing.
    mutating func update(completed: UInt64) {
        self.completed = completed
        guard isEnabled else { return }
        let now = ContinuousClock.now
        guard lastDraw.map({ now - $0 >= .milliseconds(100) }) ?? true || completed >= total else { return }
        lastDraw = now
        draw(now: now)
    }

    /// Draws the final state and ends the line.
    mutating func finish() {
        guard isEnabled, hasDrawn || completed > 0 else { return }
        draw(now: .now)
        Console.writeError("\n")
        hasDrawn = false
    }

    /// Clears the line (for example before an error message).
    mutating func clear() {
        guard isEnabled, hasDrawn else { return }
        Console.writeError("\r\u{1B}[2K")
        hasDrawn = false
    }

    private mutating func draw(now: ContinuousClock.Instant) {
        hasDrawn = true
        Console.writeError(
            "\r\u{1B}[2K"
                + Self.render(title: title, completed: completed, total: total, elapsedNanoseconds: (now - start).nanosecondsClamped))
    }

    /// The text of the bar, for example `sending [#######-------] 45% 1.2/2.6 MB 12.3 MB/s`.
    static func render(title: String, completed: UInt64, total: UInt64, elapsedNanoseconds: UInt64) -> String {
        let fraction = total == 0 ? 1.0 : min(1.0, Double(completed) / Double(total))
        let filled = Int((fraction * Double(barWidth)).rounded(.down))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: barWidth - filled)
        let seconds = Double(elapsedNanoseconds) / 1e9
        let rate = seconds > 0 ? Double(completed) / seconds / 1e6 : 0
        return
            "\(title) [\(bar)] \(Int(fraction * 100))% \(Format.megabytes(completed))/\(Format.megabytes(total)) MB \(Format.fixed(rate, digits: 1)) MB/s"
    }
}
