import Foundation
import Storage
#if canImport(Glibc)
import Glibc
#endif

/// Shows a backfill's progress on stderr: a redrawn bar on a terminal, a plain line every
/// `interval` otherwise (logs, CI). Rejected inputs are listed (the first 100).
public final class BackfillProgressPrinter: @unchecked Sendable {
    private let interval: Duration
    private let dryRun: Bool
    private let terminal = isatty(STDERR_FILENO) == 1
    private var lastShown: ContinuousClock.Instant?
    /// Items already done when the run started (by an earlier run): not part of the rate.
    private var doneAtStart: Int?
    private var rejectionsShown = 0

    public init(interval: Duration, dryRun: Bool = false) {
        self.interval = interval
        self.dryRun = dryRun
    }

    public func reject(_ rejection: BackfillRejection) {
        rejectionsShown += 1
        if rejectionsShown <= BackfillRunner.maxRejectionSamples {
            write("\(terminal ? "\r\u{1B}[K" : "")line \(rejection.line): \(rejection.error)\n")
        } else if rejectionsShown == BackfillRunner.maxRejectionSamples + 1 {
            write("(further rejected inputs are counted, not listed)\n")
        }
    }

    public func show(_ progress: BackfillRunner.Progress) {
        if doneAtStart == nil || progress.published == 0 && progress.skipped > 0 { doneAtStart = progress.done }
        let now = ContinuousClock.now
        let due = lastShown.map { now - $0 >= (terminal ? .milliseconds(200) : interval) } ?? true
        guard due || progress.finished else { return }
        lastShown = now
        let line = Self.describe(progress, doneAtStart: doneAtStart ?? 0, dryRun: dryRun)
        if terminal {
            write("\r\u{1B}[K" + line + (progress.finished ? "\n" : ""))
        } else {
            write(line + "\n")
        }
    }

    /// `[#####-----]  52.1%  104192/200000  1234 texts/s  ETA 1m18s  in flight 8  queue 120`
    /// A dry run counts inputs read; a real run counts items embedded.
    static func describe(_ progress: BackfillRunner.Progress, doneAtStart: Int, dryRun: Bool) -> String {
        let seconds = max(progress.elapsed.timeInterval, 0.001)
        let done = dryRun ? progress.read : progress.done
        let rate = Double(done - doneAtStart) / seconds
        let settled = done + progress.deadLettered + progress.invalid
        var parts: [String] = []
        if let total = progress.total, total > 0 {
            let share = min(1, Double(settled) / Double(total))
            let filled = Int(share * 30)
            parts.append("[" + String(repeating: "#", count: filled) + String(repeating: "-", count: 30 - filled) + "]")
            parts.append(String(format: "%5.1f%%", share * 100))
            parts.append("\(done)/\(total)")
            parts.append(rate > 0 && total > settled ? "ETA \(duration(Double(total - settled) / rate))" : "ETA -")
        } else {
            parts.append("\(done) \(dryRun ? "read" : "done")")
        }
        parts.append("\(Int(rate)) texts/s")
        parts.append("in flight \(progress.inFlight)")
        if let depth = progress.queueDepth { parts.append("queue \(depth)") }
        if progress.invalid > 0 { parts.append("rejected \(progress.invalid)") }
        if progress.deadLettered > 0 { parts.append("dead-lettered \(progress.deadLettered)") }
        return parts.joined(separator: "  ")
    }

    /// The final summary (stdout).
    public static func summaryLine(backfillID: String, _ progress: BackfillRunner.Progress, dryRun: Bool) -> String {
        if dryRun {
            return "backfill \(backfillID) (dry run): \(progress.read) valid inputs in \(progress.chunks) chunks, "
                + "\(progress.invalid) rejected; nothing published"
        }
        return "backfill \(backfillID): done \(progress.done), cached \(progress.cached), failed \(progress.invalid), "
            + "dead-lettered \(progress.deadLettered), elapsed \(duration(progress.elapsed.timeInterval)) "
            + "(\(progress.published) chunks published, \(progress.skipped) skipped as already published)"
    }

    static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        if whole < 60 { return String(format: "%.1fs", seconds) }
        if whole < 3600 { return "\(whole / 60)m\(String(format: "%02d", whole % 60))s" }
        return "\(whole / 3600)h\(String(format: "%02d", whole / 60 % 60))m"
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
