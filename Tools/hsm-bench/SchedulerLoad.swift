// Scheduler throughput: many requests in flight from many async clients, counted over a window
// that starts after a warm-up (worker start-up and log-in are not part of steady-state throughput).
// Also the simulated network HSM: three tokens behind the fault module with 1 ms per operation.

import Foundation
import HSMScheduler
import PKCS11
import Synchronization

final class Counter: Sendable {
    let value = Atomic<Int>(0)
    let stop = Atomic<Bool>(false)
}

extension BenchRun {
    /// CPU seconds (user + system) this process has used so far.
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }

    /// Throughput of `backends`; also prints the scheduler process's own CPU per operation
    /// (clients + scheduler; with worker processes the HSM work is not in it), a figure that
    /// stays meaningful when the machine is busy.
    func schedulerRate(config: SchedulerConfiguration, key: [UInt8], backends: [BackendConfiguration],
                       inflight: Int = 512, name: String = "") throws -> Double {
        let scheduler = try HSMScheduler(configuration: config, backends: backends)
        defer { scheduler.shutdown() }
        let counter = Counter()
        let failures = Counter()
        let reference = KeyReference(id: key)
        let clients = Task.detached {
            await withTaskGroup(of: Void.self) { group in
                for c in 0..<inflight {
                    group.addTask {
                        let message = Array("benchmark message \(c)".utf8)
                        while !counter.stop.load(ordering: .relaxed) {
                            do {
                                _ = try await scheduler.sign(message, key: reference, mechanism: .ed25519, client: "c\(c % 8)")
                                counter.value.add(1, ordering: .relaxed)
                            } catch {
                                failures.value.add(1, ordering: .relaxed)
                            }
                        }
                    }
                }
            }
        }
        Thread.sleep(forTimeInterval: 1.0)  // warm-up
        let start = ContinuousClock.now
        let cpuBefore = Self.processCPUSeconds()
        let before = counter.value.load(ordering: .relaxed)
        Thread.sleep(forTimeInterval: seconds)
        let after = counter.value.load(ordering: .relaxed)
        let cpu = Self.processCPUSeconds() - cpuBefore
        let elapsed = (ContinuousClock.now - start).seconds
        if !name.isEmpty, after > before {
            print("BENCH-CPU name=\(name) self_cpu_us_per_op=\(String(format: "%.1f", cpu * 1e6 / Double(after - before)))")
        }
        counter.stop.store(true, ordering: .relaxed)
        let done = DispatchSemaphore(value: 0)
        Task.detached { await clients.value; done.signal() }
        done.wait()
        let failed = failures.value.load(ordering: .relaxed)
        if failed > 0 { FileHandle.standardError.write(Data("hsm-bench: \(failed) scheduler requests failed\n".utf8)) }
        return Double(after - before) / elapsed
    }

    /// Three backends behind libp11fault.so with 1 ms per operation and `sessions` sessions each;
    /// capacity = backends × sessions × 1000 ops/s.
    func networkHSM(folder: String, pin: PIN, workerExecutable: String) throws -> (rate: Double, capacity: Double) {
        let faultModule = arguments.string("--fault-module", default: "")
        guard !faultModule.isEmpty, FileManager.default.fileExists(atPath: faultModule) else {
            throw BenchError("--fault-module path/to/libp11fault.so is required")
        }
        let sessions = Int(arguments.double("--network-sessions", default: 2))
        let latency = Int(arguments.double("--network-latency-us", default: 1000))
        let labels = ["net-1", "net-2", "net-3"]
        let keyID = (0..<16).map { _ in UInt8.random(in: 0...255) }
        let seed = (0..<32).map { _ in UInt8.random(in: 0...255) }
        for label in labels {
            let session = try DevToken.open(folder: folder, label: label).openSession()
            _ = try session.importKey(.ed25519(seed: seed), options: KeyOptions(id: keyID, label: "net"))
        }
        let configPath = folder + "/p11fault.conf"
        try "latency_us = \(latency)\nmax_sessions = \(sessions * 2 + 2)\n".write(toFile: configPath, atomically: true, encoding: .utf8)
        setenv("P11FAULT_CONFIG", configPath, 1)
        setenv("P11FAULT_MODULE", DevToken.defaultModulePath, 1)
        let mode: WorkerMode = arguments.string("--network-mode", default: "processes") == "threads"
            ? .threads : .processes(executable: workerExecutable)
        let environment = ["SOFTHSM2_CONF": folder + "/softhsm2.conf", "P11FAULT_CONFIG": configPath,
                           "P11FAULT_MODULE": DevToken.defaultModulePath]
        var config = SchedulerConfiguration()
        config.batchSize = 64
        let backends = labels.map {
            BackendConfiguration(name: $0, modulePath: faultModule, tokenLabel: $0, pin: pin, sessions: sessions,
                                 mode: mode, workerEnvironment: environment)
        }
        // The same sessions driven directly (one thread per session, no scheduler): what the
        // simulated HSM delivers on this machine right now, as a cross-check of the nominal capacity.
        let module = try PKCS11Module.load(path: faultModule)
        var direct = 0.0
        for label in labels {
            let token = try module.token(label: label)
            try token.login(pin: pin)
        }
        let tokens = try labels.map { try module.token(label: $0) }
        direct = try Baselines.direct(tokens: tokens, key: keyID, threadsPerToken: sessions, seconds: seconds)
        report("pkcs11_direct_ed25519_network_1ms_3backends", direct,
               ratio: direct / (Double(labels.count * sessions) * 1_000_000 / Double(latency)),
               extra: "vs=simulated_capacity sessions=\(labels.count * sessions)")
        let rate = try schedulerRate(config: config, key: keyID, backends: backends,
                                     name: "scheduler_ed25519_network_1ms_3backends")
        return (rate, Double(labels.count * sessions) * 1_000_000 / Double(latency))
    }
}
