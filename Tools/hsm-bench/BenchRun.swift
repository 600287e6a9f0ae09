// One full benchmark run: sets up a throw-away SoftHSM2 token folder and, per algorithm (Ed25519,
// ECDSA P-256, RSA-2048), measures the raw OpenSSL rate, the direct PKCS#11 ceilings (1 thread,
// 2 threads, 2 processes) and the batched scheduler with worker processes; then the simulated 1 ms
// network HSM. The cases of one algorithm run interleaved in `--rounds` rounds and each case
// reports its best round, so a burst of load from elsewhere on the machine cannot favour the
// baseline or the scheduler systematically. Prints BENCH lines and one verdict per target.

import Foundation
import HSMScheduler
import PKCS11
import Synchronization

struct BenchRun {
    let arguments: BenchArguments
    init(_ arguments: BenchArguments) { self.arguments = arguments }

    var seconds: Double { arguments.double("--seconds", default: 2) }
    var rounds: Int { max(1, Int(arguments.double("--rounds", default: 3))) }

    func report(_ name: String, _ rate: Double, ratio: Double, extra: String = "") {
        print("BENCH name=\(name) ops_per_s=\(Int(rate.rounded())) ratio=\(String(format: "%.3f", ratio))"
              + (extra.isEmpty ? "" : " " + extra))
        fflush(nil)
    }

    /// The scheduler settings every scheduler case uses: `--batch` (default 64) and
    /// `--outcome-flush-ms` (default: the scheduler's).
    func schedulerConfiguration() -> SchedulerConfiguration {
        var config = SchedulerConfiguration()
        config.batchSize = Int(arguments.double("--batch", default: 64))
        if let flush = Double(arguments.string("--outcome-flush-ms", default: "")) {
            config.outcomeFlushInterval = .microseconds(Int(flush * 1000))
        }
        return config
    }

    func verdict(_ name: String, _ value: Double, target: Double) {
        print("BENCH-TARGET \(name)=\(String(format: "%.3f", value)) target=\(String(format: "%.2f", target)) "
              + (value >= target ? "met" : "MISSED"))
        fflush(nil)
    }

    static func loadAverage() -> String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first.map(String.init) ?? "?"
    }

    func run() -> Int32 {
        do {
            return try measure()
        } catch {
            FileHandle.standardError.write(Data("hsm-bench: \(error)\n".utf8))
            return 1
        }
    }

    private func measure() throws -> Int32 {
        let folder = NSTemporaryDirectory() + "personahsm-bench-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let token = try DevToken.open(folder: folder, label: "bench")
        let session = try token.openSession()
        // Other work on the machine skews every figure: say how busy it was.
        print("BENCH-ENV cores=\(ProcessInfo.processInfo.activeProcessorCount) loadavg1=\(Self.loadAverage()) "
              + "seconds_per_case=\(seconds) rounds=\(rounds)")
        let pin = try DevToken.userPIN(folder: folder)
        let setup = CaseSetup(folder: folder, pin: pin,
                              workerExecutable: arguments.string("--worker", default: WorkerMode.defaultWorkerExecutable))
        for algorithm in BenchAlgorithm.list(arguments.string("--algorithms", default: "all")) {
            let keyID = (0..<16).map { _ in UInt8.random(in: 0...255) }
            _ = try session.generateKey(algorithm.keySpec, options: KeyOptions(id: keyID, label: "bench-\(algorithm.rawValue)"))
            try measure(algorithm, token: token, keyID: keyID, setup: setup)
        }
        if !arguments.flag("--no-network") {
            // Longer windows: outcomes of a batch of 64 on a 1 ms session return together every
            // ~128 ms, so a 2 s window would count ±6 % of the capacity depending on phase.
            let window = arguments.string("--network-seconds", default: "5")
            try BenchRun(arguments.setting("--seconds", to: window)).networkHSM(setup: setup)
        }
        return 0
    }

    /// All cases of one algorithm, interleaved over the rounds; each reports its best round.
    private func measure(_ algorithm: BenchAlgorithm, token: Token, keyID: [UInt8], setup: CaseSetup) throws {
        let a = algorithm.rawValue
        let raw = Baselines.openssl(algorithm, seconds: min(seconds, 2))
        report("openssl_raw_\(a)_1thread", raw, ratio: 1)
        let config = schedulerConfiguration()
        let processBackend = BackendConfiguration(
            name: "bench", modulePath: DevToken.defaultModulePath, tokenLabel: "bench", pin: setup.pin,
            sessions: Int(arguments.double("--process-sessions", default: 2)),
            mode: .processes(executable: setup.workerExecutable), workerEnvironment: setup.environment)
        var threadBackend = processBackend
        threadBackend.mode = .threads
        threadBackend.sessions = 2
        let withThreads = algorithm == .ed25519 && !arguments.flag("--no-threads-case")

        var d1: [DirectMeasurement] = [], d2: [DirectMeasurement] = [], p2: [DirectMeasurement] = []
        var scheduled: [SchedulerMeasurement] = []
        var threaded: [SchedulerMeasurement] = []
        for _ in 0..<rounds {
            d1.append(try Baselines.direct(tokens: [token], key: keyID, mechanism: algorithm.mechanism, threadsPerToken: 1,
                                           seconds: seconds))
            d2.append(try Baselines.direct(tokens: [token], key: keyID, mechanism: algorithm.mechanism, threadsPerToken: 2,
                                           seconds: seconds))
            p2.append(try directChildren(setup: setup, groups: [["bench"], ["bench"]], keyID: keyID, algorithm: algorithm))
            scheduled.append(try schedulerRate(config: config, key: keyID, mechanism: algorithm.mechanism,
                                               backends: [processBackend]))
            if withThreads {
                threaded.append(try schedulerRate(config: config, key: keyID, mechanism: algorithm.mechanism,
                                                  backends: [threadBackend]))
            }
        }
        func listing(_ values: [Double]) -> String { "rounds=" + values.map { String(Int($0.rounded())) }.joined(separator: "/") }
        func cpu(_ micros: Double) -> String { "cpu_us_per_op=" + String(format: "%.1f", micros) }
        var ceiling = 0.0, ceilingCPU = 0.0
        for (name, values) in [("1thread", d1), ("2threads", d2), ("2processes", p2)] {
            let best = values.max { $0.rate < $1.rate }!
            report("pkcs11_direct_\(a)_\(name)", best.rate, ratio: best.rate / raw,
                   extra: "vs=openssl_raw \(listing(values.map(\.rate))) \(cpu(best.cpuMicrosPerOp))")
            if best.rate > ceiling { ceiling = best.rate; ceilingCPU = best.cpuMicrosPerOp }
        }
        if withThreads {
            let best = threaded.max { $0.rate < $1.rate }!
            report("scheduler_\(a)_threads_batched", best.rate, ratio: best.rate / ceiling,
                   extra: "vs=best_direct \(listing(threaded.map(\.rate))) \(cpu(best.totalCPUMicrosPerOp))")
        }
        let best = scheduled.max { $0.rate < $1.rate }!
        report("scheduler_\(a)_processes_batched", best.rate, ratio: best.rate / ceiling,
               extra: "vs=best_direct \(listing(scheduled.map(\.rate))) \(cpu(best.totalCPUMicrosPerOp)) "
                   + "scheduler_process_cores=\(String(format: "%.2f", best.cores)) "
                   + "scheduler_process_cpu_us_per_op=\(String(format: "%.1f", best.cpuMicrosPerOp)) loadavg1=\(Self.loadAverage())")
        // CPU per signature of the best direct case over that of the scheduler (all its processes).
        print("BENCH-EFFICIENCY name=scheduler_\(a)_processes_batched direct_cpu_us_per_op=\(String(format: "%.1f", ceilingCPU)) "
              + "scheduler_cpu_us_per_op=\(String(format: "%.1f", best.totalCPUMicrosPerOp)) "
              + "ratio=\(String(format: "%.3f", ceilingCPU / max(best.totalCPUMicrosPerOp, 0.001)))")
        // Paired view: each round's scheduler rate over the best direct rate of the same round
        // (measured seconds apart), less sensitive to load drifting between rounds.
        let paired = (0..<scheduled.count).map { r in scheduled[r].rate / max(d1[r].rate, d2[r].rate, p2[r].rate, 1) }
        let median = paired.sorted()[paired.count / 2]
        print("BENCH-PAIRED name=scheduler_\(a)_processes_batched ratios="
              + paired.map { String(format: "%.3f", $0) }.joined(separator: "/") + " median=\(String(format: "%.3f", median))")
        verdict("scheduler_\(a)_vs_best_direct", best.rate / ceiling, target: 0.95)
    }

    /// Direct loops in child processes, one per entry of `groups` (the token labels it signs on,
    /// one thread per token), all signing during the same window; returns the summed rate.
    func directChildren(setup: CaseSetup, groups: [[String]], keyID: [UInt8], algorithm: BenchAlgorithm,
                        module: String = DevToken.defaultModulePath) throws -> DirectMeasurement {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var children: [(Process, Pipe, Pipe)] = []
        for (i, labels) in groups.enumerated() {
            if i > 0 { usleep(100_000) }  // stagger log-ins (SoftHSM2 start-up race)
            let p = Process(), input = Pipe(), output = Pipe()
            p.executableURL = exe
            p.arguments = ["--direct-child", "--folder", setup.folder, "--label", labels.joined(separator: ","),
                           "--module", module, "--algorithm", algorithm.rawValue,
                           "--key-id", keyID.map { String(format: "%02x", $0) }.joined(), "--seconds", String(seconds)]
            p.standardInput = input
            p.standardOutput = output
            try p.run()
            children.append((p, input, output))
        }
        for (_, _, output) in children {
            guard readLine(output) == "ready" else { throw BenchError("direct child did not start") }
        }
        for (_, input, _) in children { input.fileHandleForWriting.write(Data("go\n".utf8)) }
        var rate = 0.0, cpuMicros = 0.0
        for (p, _, output) in children {
            let fields = (readLine(output) ?? "").split(separator: " ").compactMap { Double($0) }
            if fields.count == 2 {
                rate += fields[0]
                cpuMicros += fields[0] * fields[1]  // CPU µs per second of this child
            }
            p.waitUntilExit()
        }
        return DirectMeasurement(rate: rate, cpuMicrosPerOp: rate > 0 ? cpuMicros / rate : 0)
    }

    private func readLine(_ pipe: Pipe) -> String? {
        var bytes: [UInt8] = []
        while true {
            let d = pipe.fileHandleForReading.readData(ofLength: 1)
            guard let b = d.first else { return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self) }
            if b == 10 { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(b)
        }
    }
}

/// What every case needs: the token folder, its PIN and the worker executable.
struct CaseSetup {
    let folder: String
    let pin: PIN
    let workerExecutable: String
    var environment: [String: String] { ["SOFTHSM2_CONF": folder + "/softhsm2.conf"] }
}
