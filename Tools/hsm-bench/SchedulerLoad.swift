// Scheduler throughput: many requests in flight, counted over a window that starts after a warm-up
// (worker start-up and log-in are not steady-state throughput). The load generator submits its
// requests in batches (`HSMScheduler.signBatch`, one await per batch, like the SignBatch RPC) so it
// costs little of the two cores it shares with the worker processes it measures; `--client-batch 1`
// submits one `sign` call per request instead. The CPU this process uses during the window (load
// generator + scheduler) is measured with getrusage, its worker processes' from /proc.
// Operations are counted as the scheduler completes them (its completion observer), not when a
// caller's batch of 64 returns: with ~1,000 requests in flight a window of a few thousand
// operations would otherwise be off by up to a batch per caller (seen: 1.038 of a capacity the
// model cannot exceed).

import Foundation
import HSMScheduler
import PKCS11
import Synchronization

final class Counter: Sendable {
    /// Successful operations as the scheduler completed them.
    let completed = Atomic<Int>(0)
    let failed = Atomic<Int>(0)
    let stop = Atomic<Bool>(false)
}

/// One scheduler measurement.
struct SchedulerMeasurement {
    var rate: Double
    /// CPU seconds of this process per second of the window (1.0 = one core busy).
    var cores: Double
    /// CPU of this process per completed operation.
    var cpuMicrosPerOp: Double
    /// CPU of this process and its worker processes per completed operation.
    var totalCPUMicrosPerOp: Double
}

extension BenchRun {
    /// Throughput of a scheduler over `backends` signing with `key`.
    func schedulerRate(config: SchedulerConfiguration, key: [UInt8], mechanism: SignatureMechanism,
                       backends: [BackendConfiguration],
                       window: (_ starting: Bool) -> Void = { _ in }) throws -> SchedulerMeasurement {
        let counter = Counter()
        var config = config
        let previous = config.completionObserver
        config.completionObserver = { completion in
            if completion.succeeded { counter.completed.add(1, ordering: .relaxed) }
            previous?(completion)
        }
        let scheduler = try HSMScheduler(configuration: config, backends: backends)
        defer { scheduler.shutdown() }
        let reference = KeyReference(id: key)
        let inflight = Int(arguments.double("--inflight", default: 1024))
        let clientBatch = max(1, Int(arguments.double("--client-batch", default: 64)))
        let tasks = max(1, inflight / clientBatch)
        let clients = Task.detached {
            await withTaskGroup(of: Void.self) { group in
                for c in 0..<tasks {
                    group.addTask {
                        let client = "c\(c % 8)"
                        let messages = (0..<clientBatch).map { Array("benchmark message \(c) \($0)".utf8) }
                        while !counter.stop.load(ordering: .relaxed) {
                            if clientBatch == 1 {
                                do {
                                    _ = try await scheduler.sign(messages[0], key: reference, mechanism: mechanism, client: client)
                                } catch {
                                    counter.failed.add(1, ordering: .relaxed)
                                }
                                continue
                            }
                            let results = await scheduler.signBatch(messages, key: reference, mechanism: mechanism, client: client)
                            var ok = 0
                            for result in results { if case .success = result { ok += 1 } }
                            counter.failed.add(results.count - ok, ordering: .relaxed)
                        }
                    }
                }
            }
        }
        Thread.sleep(forTimeInterval: 1.0)  // warm-up
        window(true)
        let start = ContinuousClock.now
        let cpuBefore = ProcessCPU.selfSeconds(), childrenBefore = ProcessCPU.childrenSeconds()
        let before = counter.completed.load(ordering: .relaxed)
        Thread.sleep(forTimeInterval: seconds)
        let after = counter.completed.load(ordering: .relaxed)
        let cpu = ProcessCPU.selfSeconds() - cpuBefore
        let childrenCPU = ProcessCPU.childrenSeconds() - childrenBefore
        let elapsed = (ContinuousClock.now - start).seconds
        window(false)
        counter.stop.store(true, ordering: .relaxed)
        let done = DispatchSemaphore(value: 0)
        Task.detached { await clients.value; done.signal() }
        done.wait()
        let failed = counter.failed.load(ordering: .relaxed)
        if failed > 0 { FileHandle.standardError.write(Data("hsm-bench: \(failed) scheduler requests failed\n".utf8)) }
        let ops = max(after - before, 1)
        return SchedulerMeasurement(rate: Double(after - before) / elapsed, cores: cpu / elapsed,
                                    cpuMicrosPerOp: cpu * 1e6 / Double(ops),
                                    totalCPUMicrosPerOp: (cpu + childrenCPU) * 1e6 / Double(ops))
    }
}
