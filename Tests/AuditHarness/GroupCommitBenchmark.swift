// Measures what group commit buys: records/s with 16 concurrent appenders when every batch is one
// write + one fdatasync, against the same appenders with one fdatasync per record
// (maxBatchRecords = 1), in the same run on the same disk. A benchmark, not a test: it prints
// figures and ratios and asserts nothing.

import AuditLog

#if canImport(Glibc)
import Glibc
#endif

/// `bench [directory] [seconds]`.
struct GroupCommitBenchmark {
    let directory: String
    let seconds: Double

    init(arguments: [String]) throws {
        if let given = arguments.first {
            directory = given
        } else {
            var template = Array("/tmp/audit-bench-XXXXXX".utf8CString)
            guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
                throw AuditError.system("mkdtemp", path: "/tmp", errno: errno)
            }
            directory = String(cString: made)
        }
        seconds = arguments.count > 1 ? Double(arguments[1]) ?? 2 : 2
    }

    struct Result {
        var records: Int
        var batches: UInt64
        var elapsed: Duration
        var perSecond: Double { Double(records) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18) }
    }

    func run() async throws {
        print("audit group-commit benchmark: \(directory), \(seconds) s per case, \(ProcessInfoLite.cores) cores")
        let baseline = try await measure(name: "per-record", appenders: 16, maxBatch: 1)
        let grouped = try await measure(name: "grouped", appenders: 16, maxBatch: 4096)
        let single = try await measure(name: "single", appenders: 1, maxBatch: 4096)
        func line(_ label: String, _ result: Result) {
            let perBatch = result.batches > 0 ? Double(result.records) / Double(result.batches) : 0
            print("  \(label): \(Int(result.perSecond)) records/s, \(result.batches) fdatasyncs, "
                + "\(String(Int(perBatch * 10) / 10)).\(Int(perBatch * 10) % 10) records per fdatasync")
        }
        line("16 appenders, one fdatasync per record (baseline)", baseline)
        line("16 appenders, group commit                       ", grouped)
        line(" 1 appender,  group commit                       ", single)
        let ratio = grouped.perSecond / max(baseline.perSecond, 1)
        let hundredths = Int((ratio * 100).rounded())
        print("  group commit / baseline = \(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)x")
    }

    private func measure(name: String, appenders: Int, maxBatch: Int) async throws -> Result {
        let path = "\(directory)/\(name).log"
        unlink(path)
        let log = try AuditLog.open(path: path, options: AuditLogOptions(
            checkpointInterval: 0, durabilityTimeout: .seconds(30), maxBatchRecords: maxBatch))
        let clock = ContinuousClock()
        let start = clock.now
        let end = start.advanced(by: .milliseconds(Int64(seconds * 1000)))
        let records = try await withThrowingTaskGroup(of: Int.self) { group in
            for appender in 0..<appenders {
                group.addTask {
                    var count = 0
                    while clock.now < end {
                        _ = try await log.append(AuditEvent(
                            identity: "spiffe://persona.test/bench-\(appender)", method: "/persona.hsm.v1.SigningService/Sign",
                            keyName: "did-key", keyVersion: 1, requestSHA256: [UInt8](repeating: UInt8(appender), count: 32),
                            outcome: "OK", extra: ["n": String(count)]))
                        count += 1
                    }
                    return count
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = start.duration(to: clock.now)
        let batches = log.status().counters.batches
        try await log.close()
        unlink(path)
        return Result(records: records, batches: batches, elapsed: elapsed)
    }
}

/// Core count without Foundation.
enum ProcessInfoLite {
    static var cores: Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
}
