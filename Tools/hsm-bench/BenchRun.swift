// One full benchmark run: sets up a throw-away SoftHSM2 token folder, measures every case, prints the
// BENCH lines and a verdict for the two targets (scheduler ≥ 0.95 × best direct ceiling; simulated
// 1 ms network HSM with 3 backends ≥ 0.90 × its capacity).

import Foundation
import HSMScheduler
import PKCS11
import Synchronization

struct BenchRun {
    let arguments: BenchArguments
    init(_ arguments: BenchArguments) { self.arguments = arguments }

    var seconds: Double { arguments.double("--seconds", default: 3) }

    func report(_ name: String, _ rate: Double, ratio: Double, extra: String = "") {
        print("BENCH name=\(name) ops_per_s=\(Int(rate.rounded())) ratio=\(String(format: "%.3f", ratio))"
              + (extra.isEmpty ? "" : " " + extra))
        fflush(nil)
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
        let keyID = (0..<16).map { _ in UInt8.random(in: 0...255) }
        let session = try token.openSession()
        _ = try session.generateKey(.ed25519, options: KeyOptions(id: keyID, label: "bench-ed25519"))
        let workerExecutable = arguments.string("--worker", default: WorkerMode.defaultWorkerExecutable)
        let environment = ["SOFTHSM2_CONF": folder + "/softhsm2.conf"]

        // Other work on the machine skews every figure: say how busy it was.
        let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first ?? "?"
        print("BENCH-ENV cores=\(ProcessInfo.processInfo.activeProcessorCount) loadavg1=\(load) seconds_per_case=\(seconds)")
        let raw = Baselines.opensslEd25519(seconds: seconds)
        report("openssl_raw_ed25519_1thread", raw, ratio: 1)
        let d1 = try Baselines.direct(token: token, key: keyID, threads: 1, seconds: seconds)
        report("pkcs11_direct_ed25519_1thread", d1, ratio: d1 / raw, extra: "vs=openssl_raw")
        let d2 = try Baselines.direct(token: token, key: keyID, threads: 2, seconds: seconds)
        report("pkcs11_direct_ed25519_2threads", d2, ratio: d2 / raw, extra: "vs=openssl_raw")
        let p2 = try twoProcesses(folder: folder, keyID: keyID)
        report("pkcs11_direct_ed25519_2processes", p2, ratio: p2 / raw, extra: "vs=openssl_raw")
        let ceiling = max(d1, d2, p2)

        let pin = try DevToken.userPIN(folder: folder)
        var config = SchedulerConfiguration()
        config.batchSize = 64
        let threads = try schedulerRate(config: config, key: keyID, backends: [
            BackendConfiguration(name: "bench", modulePath: DevToken.defaultModulePath, tokenLabel: "bench", pin: pin,
                                 sessions: 2, mode: .threads, workerEnvironment: environment),
        ], name: "scheduler_ed25519_threads_batched")
        report("scheduler_ed25519_threads_batched", threads, ratio: threads / ceiling, extra: "vs=best_direct")
        let processSessions = Int(arguments.double("--process-sessions", default: 2))
        let processes = try schedulerRate(config: config, key: keyID, backends: [
            BackendConfiguration(name: "bench", modulePath: DevToken.defaultModulePath, tokenLabel: "bench", pin: pin,
                                 sessions: processSessions, mode: .processes(executable: workerExecutable),
                                 workerEnvironment: environment),
        ], name: "scheduler_ed25519_processes_batched")
        report("scheduler_ed25519_processes_batched", processes, ratio: processes / ceiling, extra: "vs=best_direct")
        let best = max(threads, processes)
        let schedulerOK = best >= 0.95 * ceiling

        let (network, capacity) = try networkHSM(folder: folder, pin: pin, workerExecutable: workerExecutable)
        report("scheduler_ed25519_network_1ms_3backends", network, ratio: network / capacity,
               extra: "vs=simulated_capacity capacity=\(Int(capacity))")
        let networkOK = network >= 0.90 * capacity
        print("BENCH-TARGET scheduler_vs_best_direct=\(String(format: "%.3f", best / ceiling)) target=0.95 "
              + "\(schedulerOK ? "met" : "MISSED")")
        print("BENCH-TARGET network_vs_capacity=\(String(format: "%.3f", network / capacity)) target=0.90 "
              + "\(networkOK ? "met" : "MISSED")")
        return 0
    }

    /// The 2-process ceiling (see DirectChild).
    private func twoProcesses(folder: String, keyID: [UInt8]) throws -> Double {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var children: [(Process, Pipe, Pipe)] = []
        for i in 0..<2 {
            if i > 0 { usleep(100_000) }  // stagger log-ins (SoftHSM2 start-up race)
            let p = Process(), input = Pipe(), output = Pipe()
            p.executableURL = exe
            p.arguments = ["--direct-child", "--folder", folder, "--label", "bench", "--key-id",
                           keyID.map { String(format: "%02x", $0) }.joined(), "--seconds", String(seconds)]
            p.standardInput = input
            p.standardOutput = output
            try p.run()
            children.append((p, input, output))
        }
        for (_, _, output) in children {
            guard readLine(output) == "ready" else { throw BenchError("direct child did not start") }
        }
        for (_, input, _) in children { input.fileHandleForWriting.write(Data("go\n".utf8)) }
        var total = 0.0
        for (p, _, output) in children {
            total += Double(readLine(output) ?? "") ?? 0
            p.waitUntilExit()
        }
        return total
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
