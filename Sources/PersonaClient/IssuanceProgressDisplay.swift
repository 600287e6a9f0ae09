// Shows the issuance job's progress: on a terminal a bar redrawn in place with rate and ETA;
// in a log or pipe (not a tty) a plain line every few seconds, so CI logs stay readable.

import Foundation
import Synchronization

/// Renders ``IssuanceProgress`` snapshots to a stream (stderr by default).
public final class IssuanceProgressDisplay: Sendable {
    public enum Style: Sendable { case bar, lines, none }

    public let style: Style
    private let write: @Sendable (String) -> Void
    private let lastLine = Mutex<ContinuousClock.Instant?>(nil)
    private let interval: Duration

    /// - Parameters:
    ///   - style: `nil` picks `.bar` when stderr is a terminal and `.lines` otherwise.
    public init(style: Style? = nil, interval: Duration = .seconds(2),
                write: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.style = style ?? (isatty(STDERR_FILENO) == 1 ? .bar : .lines)
        self.interval = interval
        self.write = write
    }

    /// Shows one snapshot (throttled for `.lines`; the final snapshot is always shown).
    public func show(_ progress: IssuanceProgress) {
        let summary = progress.summary
        let finished = progress.done >= summary.total
        switch style {
        case .none:
            return
        case .bar:
            write("\r" + Self.bar(progress) + (finished ? "\n" : ""))
        case .lines:
            let now = ContinuousClock.now
            let due = lastLine.withLock { last -> Bool in
                guard finished || last.map({ now - $0 >= interval }) ?? true else { return false }
                last = now
                return true
            }
            if due { write(Self.text(progress) + "\n") }
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// Documents per second of this run (skipped documents excluded) and the estimated time left.
    static func rateAndETA(_ progress: IssuanceProgress) -> (rate: Double, eta: Double?) {
        let worked = progress.summary.issued + progress.summary.rejected
        let elapsed = seconds(progress.elapsed)
        let rate = elapsed > 0 ? Double(worked) / elapsed : 0
        let left = progress.summary.total - progress.done
        return (rate, rate > 0 ? Double(left) / rate : (left == 0 ? 0 : nil))
    }

    static func clock(_ seconds: Double?) -> String {
        guard let seconds, seconds.isFinite else { return "--:--" }
        let whole = Int(seconds.rounded())
        return whole >= 3600 ? String(format: "%d:%02d:%02d", whole / 3600, whole / 60 % 60, whole % 60)
            : String(format: "%02d:%02d", whole / 60, whole % 60)
    }

    static func bar(_ progress: IssuanceProgress, width: Int = 30) -> String {
        let total = max(progress.summary.total, 1)
        let fraction = min(1, Double(progress.done) / Double(total))
        let filled = Int((fraction * Double(width)).rounded(.down))
        let (rate, eta) = rateAndETA(progress)
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] "
            + String(format: "%3.0f%% %d/%d  %.0f docs/s  ETA ", fraction * 100, progress.done, progress.summary.total, rate)
            + clock(eta) + "  rejected \(progress.summary.rejected)"
    }

    static func text(_ progress: IssuanceProgress) -> String {
        let (rate, eta) = rateAndETA(progress)
        return "progress: \(progress.done)/\(progress.summary.total) documents (issued \(progress.summary.issued), "
            + "rejected \(progress.summary.rejected), skipped \(progress.summary.skipped)) "
            + String(format: "%.0f docs/s, ETA ", rate) + clock(eta)
    }
}
