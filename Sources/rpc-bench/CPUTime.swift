// CPU seconds used by the bench client (this process, all threads) and the server child, so a
// phase can report CPU per call: unlike calls/s or latency, that figure barely moves when other
// jobs share the machine, which makes design changes comparable under load.

import Foundation

struct CPUTime {
    var client: Double
    var server: Double

    /// Now, for this process and the server child `pid`.
    static func sample(server pid: Int32) -> CPUTime {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        let client = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        return CPUTime(client: client, server: childSeconds(pid))
    }

    /// utime + stime of `pid` from /proc/PID/stat (fields 14 and 15, in clock ticks).
    private static func childSeconds(_ pid: Int32) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return 0 }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After the command name: state is field 3, so utime (14) and stime (15) are at 11 and 12.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    static func - (a: CPUTime, b: CPUTime) -> CPUTime {
        CPUTime(client: a.client - b.client, server: a.server - b.server)
    }

    /// "client X us, server Y us per call; Z % of the cores busy".
    func perCall(_ calls: Double, wall: Double) -> String {
        String(format: "client %.1f us + server %.1f us CPU per call; %.0f%% of %d cores",
               client * 1e6 / max(1, calls), server * 1e6 / max(1, calls),
               (client + server) / max(1e-9, wall) / Double(System.cores) * 100, System.cores)
    }
}

enum System {
    static let cores = ProcessInfo.processInfo.activeProcessorCount
}
