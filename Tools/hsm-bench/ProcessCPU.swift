// CPU time accounting for the benchmark: what this process and its live children (the scheduler's
// worker processes) have used. CPU per operation is a figure that stays meaningful when other jobs
// share the two cores and every wall-clock rate is depressed: on a quiet machine where both
// configurations keep both cores busy, the throughput ratio approaches the inverse CPU ratio.

import Foundation
import Glibc

enum ProcessCPU {
    /// CPU seconds (user + system) this process has used so far.
    static func selfSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }

    /// CPU seconds used so far by the running children of this process (read from /proc).
    static func childrenSeconds() -> Double {
        let me = getpid()
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        var total = 0.0
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return 0 }
        for entry in entries where entry.first?.isNumber == true {
            guard let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            // Fields after "pid (comm)": state ppid ... utime is field 14, stime 15 (1-based).
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 13, Int32(fields[1]) == me,
                  let utime = Double(fields[11]), let stime = Double(fields[12]) else { continue }
            total += (utime + stime) / ticks
        }
        return total
    }
}
