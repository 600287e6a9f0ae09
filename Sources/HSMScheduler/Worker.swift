// A worker: one thread outside Swift's cooperative pool that owns one session (directly, or
// through a worker process) and drains its backend's queue B jobs at a time. Blocking PKCS#11 calls
// therefore never occupy an async executor thread. The health monitor reads `busySince` to spot a
// worker stuck inside the HSM and can steal its batch.

import Dispatch
import Foundation
import Synchronization

final class Worker: @unchecked Sendable {
    let backend: Backend
    let scheduler: HSMScheduler
    /// Uptime nanoseconds when the current batch started; 0 when idle.
    let busySince = Atomic<UInt64>(0)
    /// The batch being run (the monitor steals it when the worker hangs).
    let current = Mutex<[Job]>([])
    /// Set when the worker was declared hung or the pool shrinks: exit after the current batch.
    let retired = Atomic<Bool>(false)
    /// Set by the health monitor when it moved this worker's batch elsewhere.
    let wasDeclaredHung = Atomic<Bool>(false)
    private let runnerBox = Mutex<RunnerRef?>(nil)
    private let exited = DispatchSemaphore(value: 0)

    struct RunnerRef: @unchecked Sendable { let runner: any BatchRunner }

    init(backend: Backend, scheduler: HSMScheduler) {
        self.backend = backend
        self.scheduler = scheduler
    }

    func start(name: String) {
        let thread = Thread { [self] in loop() }
        thread.name = name
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Interrupts a stuck runner (kills its worker process; no-op in-process).
    func abort() { runnerBox.withLock { $0 }?.runner.abort() }

    /// Waits (bounded) for the thread to leave its loop.
    func join(timeout: Duration) -> Bool {
        exited.wait(timeout: .now() + .milliseconds(Int(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000))) == .success
    }

    private func loop() {
        var refused = false
        defer {
            scheduler.workerExited(self, refusedSession: refused)
            exited.signal()
        }
        let runner = scheduler.makeRunner(for: backend)
        runnerBox.withLock { $0 = RunnerRef(runner: runner) }
        defer { runnerBox.withLock { $0 = nil } }
        if let pipelined = runner as? any PipelinedBatchRunner {
            refused = pipelinedLoop(pipelined)
            return
        }
        let batchSize = scheduler.configuration.batchSize
        while let jobs = backend.take(max: batchSize, shouldExit: { retired.load(ordering: .relaxed) }) {
            let live = screen(jobs)
            if live.isEmpty { continue }
            backend.inFlight.add(live.count, ordering: .relaxed)
            current.withLock { $0 = live }
            busySince.store(DispatchTime.now().uptimeNanoseconds, ordering: .releasing)
            let outcomes = runner.run(live.map { WorkItem(key: $0.key, operation: $0.operation, deadline: $0.deadline, awaitedAlone: $0.awaitedAlone) }) {
                busySince.store(DispatchTime.now().uptimeNanoseconds, ordering: .releasing)
            }
            busySince.store(0, ordering: .releasing)
            current.withLock { $0 = [] }
            if deliver(outcomes, of: live) { refused = true; return }
        }
    }

    /// Drops jobs already completed (cancelled, stolen) and fails expired ones; returns the rest.
    func screen(_ jobs: [Job]) -> [Job] {
        let now = ContinuousClock.now
        var live: [Job] = []
        live.reserveCapacity(jobs.count)
        for job in jobs where !job.isDone {
            if job.isExpired(at: now) {
                job.complete(.failure(HSMError(.deadlineExceeded, "deadline passed while queued", backend: backend.name)))
            } else {
                live.append(job)
            }
        }
        return live
    }

    /// Hands outcomes to the scheduler. Returns true when this worker must leave the pool (the
    /// token has no session for it and other workers remain); the last worker waits and retries.
    func deliver(_ outcomes: [ExecutionOutcome], of jobs: [Job]) -> Bool {
        backend.inFlight.subtract(jobs.count, ordering: .relaxed)
        guard scheduler.handle(outcomes: outcomes, of: jobs, on: backend) else { return false }
        let others = backend.workers.withLock { $0.filter { $0 !== self && !$0.retired.load(ordering: .relaxed) }.count }
        if others > 0 {
            retired.store(true, ordering: .relaxed)
            return true
        }
        Thread.sleep(forTimeInterval: 0.05)
        return false
    }
}
