// Reads the timing statistics the fault module writes when P11FAULT_STATS_DIR is set (one file
// per process, cumulative): where a simulated network-HSM session's time goes — the operation
// itself (from its Init call to its return), the overshoot past the configured latency, and the
// idle gap before the next operation on the same session.

import Foundation

struct FaultStats {
    var ops = 0.0, duration = 0.0, latency = 0.0, overshoot = 0.0, gaps = 0.0, gap = 0.0
    /// The largest timer wake-up delay any process took off its latencies (see p11fault.c).
    var wakeFloor = 0.0

    /// The sum of every process's counters in `directory`.
    static func read(_ directory: String) -> FaultStats {
        var total = FaultStats()
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for file in files where file.hasPrefix("stats-") && !file.hasSuffix(".tmp") {
            guard let text = try? String(contentsOfFile: directory + "/" + file, encoding: .utf8) else { continue }
            var values: [String: Double] = [:]
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: " ")
                if parts.count == 2, let v = Double(parts[1]) { values[String(parts[0])] = v }
            }
            total.ops += values["ops"] ?? 0
            total.duration += values["duration_us"] ?? 0
            total.latency += values["latency_us"] ?? 0
            total.overshoot += values["overshoot_us"] ?? 0
            total.gaps += values["gaps"] ?? 0
            total.gap += values["gap_us"] ?? 0
            total.wakeFloor = max(total.wakeFloor, values["wake_floor_us"] ?? 0)
        }
        return total
    }

    static func - (a: FaultStats, b: FaultStats) -> FaultStats {
        FaultStats(ops: a.ops - b.ops, duration: a.duration - b.duration, latency: a.latency - b.latency,
                   overshoot: a.overshoot - b.overshoot, gaps: a.gaps - b.gaps, gap: a.gap - b.gap,
                   wakeFloor: a.wakeFloor)
    }

    /// One line: mean operation time, overshoot and idle gap (µs), and the share of a session's
    /// time spent inside operations.
    var summary: String {
        guard ops > 0 else { return "ops=0" }
        let meanGap = gaps > 0 ? gap / gaps : 0
        let busy = duration / ops / (duration / ops + meanGap)
        return "ops=\(Int(ops)) mean_op_us=\(String(format: "%.0f", duration / ops)) "
            + "mean_overshoot_us=\(String(format: "%.0f", overshoot / ops)) mean_gap_us=\(String(format: "%.0f", meanGap)) "
            + "session_busy=\(String(format: "%.3f", busy)) wake_floor_us=\(Int(wakeFloor))"
    }
}
