import Foundation

/// A progress bar on stderr: `label [#####.....] 12/50  3.4/s  ETA 0:12`.
///
/// Drawn only when enabled and stderr is a terminal, and only once the work has run for
/// `delay` seconds, so short work prints nothing; redrawn at most ten times a second; the
/// line is cleared by `finish()`. Safe to call from several threads.
public final class ProgressBar: @unchecked Sendable {
    private let label: String
    private let enabled: Bool
    private let delay: Double
    private let lock = NSLock()
    private let start = Date()
    private let total: Int
    private var done = 0
    private var lastDraw: Date? = nil
    private var drawn = false

    /// - Parameters:
    ///   - total: units of work expected (the bar's 100%).
    ///   - enabled: false for a reporter that never prints (`--json`, tests).
    ///   - delay: seconds of work before the bar first appears.
    public init(_ label: String, total: Int, enabled: Bool = true, delay: Double = 1) {
        self.label = label
        self.total = total
        self.enabled = enabled && isatty(2) == 1
        self.delay = delay
    }

    /// A reporter that never prints.
    public static func silent(total: Int = 0) -> ProgressBar { ProgressBar("", total: total, enabled: false) }

    /// Units completed so far.
    public var completed: Int { lock.withLock { done } }

    /// Records `n` more units done, and redraws when due.
    public func advance(by n: Int = 1) {
        lock.withLock {
            done += n
            guard enabled else { return }
            let now = Date()
            guard now.timeIntervalSince(start) >= delay else { return }
            if let lastDraw, now.timeIntervalSince(lastDraw) < 0.1, done < total { return }
            lastDraw = now
            drawn = true
            write("\r\u{1B}[K" + ProgressBar.line(label: label, done: done, total: total, elapsed: now.timeIntervalSince(start)))
        }
    }

    /// Clears the bar (if it was drawn).
    public func finish() {
        lock.withLock {
            if drawn { write("\r\u{1B}[K") }
            drawn = false
        }
    }

    /// The text of the bar, without control characters.
    static func line(label: String, done: Int, total: Int, elapsed: Double, width: Int = 30) -> String {
        let fraction = total > 0 ? min(Double(done) / Double(total), 1) : 0
        let filled = Int((fraction * Double(width)).rounded(.down))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        var s = "\(label) [\(bar)] \(done)/\(total)  " + String(format: rate >= 10 ? "%.0f/s" : "%.2f/s", rate)
        if rate > 0 && done < total { s += "  ETA " + clock(Double(total - done) / rate) }
        return s
    }

    /// Seconds as `m:ss` or `h:mm:ss`.
    static func clock(_ seconds: Double) -> String {
        let t = Int(seconds.rounded())
        let (h, m, s) = (t / 3600, t / 60 % 60, t % 60)
        return h > 0 ? String(format: "%d:%02d:%02d", h, m, s) : String(format: "%d:%02d", m, s)
    }

    private func write(_ s: String) {
        FileHandle.standardError.write(Data(s.utf8))
    }
}
