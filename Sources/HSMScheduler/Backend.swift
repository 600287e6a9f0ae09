// One HSM node as the scheduler sees it: a bounded fair queue, the worker threads draining it, a
// health flag and the counters the router and health monitor read. The queue and its condition
// variable are the only shared mutable state between callers and workers.

import Foundation
import PKCS11
import Synchronization

final class Backend: @unchecked Sendable {
    let index: Int
    let configuration: BackendConfiguration
    private let condition = NSCondition()
    private var queue: FairQueue          // guarded by condition
    private var stopped = false           // guarded by condition
    /// Pipelined workers waiting for work while a batch of theirs still runs (guarded by condition).
    private var pollers: [WakePipe] = []
    /// Keys this backend reported missing (cleared when it comes back from unhealthy).
    private let missingKeys = Mutex<Set<KeyReference>>([])
    /// Whether `missingKeys` is non-empty (checked without the lock on every request).
    private let hasMissingKeys = Atomic<Bool>(false)

    let healthy = Atomic<Bool>(true)
    let queued = Atomic<Int>(0)
    /// Jobs taken by this backend's workers and not yet delivered (in batches being run).
    let inFlight = Atomic<Int>(0)
    let completed = Atomic<Int>(0)
    let failovers = Atomic<Int>(0)
    /// Last probe latency in microseconds.
    let probeLatencyMicros = Atomic<Int>(0)
    let lastProbe = Mutex<ContinuousClock.Instant>(.now)
    let probeInFlight = Mutex<ContinuousClock.Instant?>(nil)
    let unhealthyReason = Mutex<String>("")
    /// When the backend last entered or left rotation.
    let healthChangedAt = Mutex<ContinuousClock.Instant>(.now)
    /// The health probe's runner and a counter that abandons a stuck probe.
    let probeRunner = Mutex<Worker.RunnerRef?>(nil)
    let probeEpoch = Atomic<Int>(0)
    /// The probe is still starting its runner (not yet timed against probeTimeout).
    let probePreparing = Atomic<Bool>(false)
    /// Consecutive failed probes of a healthy backend.
    let probeFailures = Atomic<Int>(0)
    /// Workers serving this backend (replaced when one hangs).
    let workers = Mutex<[Worker]>([])

    init(index: Int, configuration: BackendConfiguration, scheduler: SchedulerConfiguration) {
        self.index = index
        self.configuration = configuration
        queue = FairQueue(capacity: scheduler.queueCapacity, perClientLimit: scheduler.perClientQueueLimit)
    }

    var name: String { configuration.name }
    var isHealthy: Bool { healthy.load(ordering: .acquiring) }

    enum EnqueueResult { case queued, full, unavailable }

    func enqueue(_ job: Job) -> EnqueueResult {
        condition.lock()
        defer { condition.unlock() }
        guard !stopped, isHealthy else { return .unavailable }
        guard queue.push(job) else { return .full }
        queued.store(queue.count, ordering: .relaxed)
        condition.signal()
        pollers.popLast()?.signal()
        return .queued
    }

    /// Queues as many of `jobs` as fit, with one lock and one wake-up per B jobs (so a batch
    /// submitted at once travels to a worker as one batch, not one job per wake-up). Returns the
    /// jobs not queued (backend stopped, unhealthy or full), for the caller to route one by one.
    func enqueue(contentsOf jobs: [Job], batchSize: Int) -> ArraySlice<Job> {
        condition.lock()
        defer { condition.unlock() }
        guard !stopped, isHealthy else { return jobs[...] }
        var queuedCount = 0
        for job in jobs {
            guard queue.push(job) else { break }
            queuedCount += 1
        }
        queued.store(queue.count, ordering: .relaxed)
        if queuedCount > 0 {
            condition.signal()
            for _ in 0..<((queuedCount + batchSize - 1) / batchSize) { pollers.popLast()?.signal() }
        }
        return jobs[queuedCount...]
    }

    /// Blocks until work is queued (and the backend is healthy), then takes up to `max` jobs.
    /// Returns nil when the backend stops or `shouldExit` turns true.
    func take(max: Int, shouldExit: () -> Bool) -> [Job]? {
        condition.lock()
        defer { condition.unlock() }
        while !stopped && !shouldExit() && (queue.count == 0 || !isHealthy) {
            _ = condition.wait(until: Date(timeIntervalSinceNow: 0.25))
        }
        if stopped || shouldExit() { return nil }
        let jobs = queue.pop(max: max)
        queued.store(queue.count, ordering: .relaxed)
        if queue.count > 0 { condition.signal() }
        return jobs
    }

    /// Takes up to `max` jobs if any are queued (and the backend is healthy), without waiting:
    /// how a worker fills its pipeline behind a batch that is still running. With nothing to take
    /// and `wake` given, registers it to be signalled by the next enqueue (or a health change).
    func takeAvailable(max: Int, orRegister wake: WakePipe? = nil) -> [Job] {
        condition.lock()
        defer { condition.unlock() }
        guard !stopped, isHealthy, queue.count > 0 else {
            if let wake, !stopped, !pollers.contains(where: { $0 === wake }) { pollers.append(wake) }
            return []
        }
        let jobs = queue.pop(max: max)
        queued.store(queue.count, ordering: .relaxed)
        return jobs
    }

    /// Withdraws a registration made by `takeAvailable(max:orRegister:)`.
    func unregister(_ wake: WakePipe) {
        condition.lock()
        pollers.removeAll { $0 === wake }
        condition.unlock()
    }

    /// Signals every registered poller (caller holds the lock).
    private func wakePollers() {
        for p in pollers { p.signal() }
        pollers.removeAll()
    }

    /// Takes the backend out of rotation and returns its queued jobs for re-routing.
    func markUnhealthy(_ reason: String) -> [Job] {
        condition.lock()
        defer { condition.unlock() }
        if healthy.exchange(false, ordering: .acquiringAndReleasing) {
            unhealthyReason.withLock { $0 = reason }
            healthChangedAt.withLock { $0 = .now }
        }
        let drained = queue.drain()
        queued.store(0, ordering: .relaxed)
        return drained
    }

    /// Puts the backend back into rotation.
    func markHealthy() {
        condition.lock()
        missingKeys.withLock { $0.removeAll() }
        hasMissingKeys.store(false, ordering: .releasing)
        if !healthy.exchange(true, ordering: .acquiringAndReleasing) { healthChangedAt.withLock { $0 = .now } }
        unhealthyReason.withLock { $0 = "" }
        condition.broadcast()
        wakePollers()
        condition.unlock()
    }

    func noteMissing(_ key: KeyReference) {
        missingKeys.withLock { set in
            if set.count > 10_000 { set.removeAll() }  // a bound on what bad requests can pin
            set.insert(key)
        }
        hasMissingKeys.store(true, ordering: .releasing)
    }

    func isKnownMissing(_ key: KeyReference) -> Bool {
        hasMissingKeys.load(ordering: .acquiring) && missingKeys.withLock { $0.contains(key) }
    }

    /// Wakes every waiting worker (after retiring one, or on stop).
    func wakeAll() {
        condition.lock()
        condition.broadcast()
        wakePollers()
        condition.unlock()
    }

    /// Stops the backend: workers exit; queued jobs are returned to be failed.
    func stop() -> [Job] {
        condition.lock()
        stopped = true
        let drained = queue.drain()
        queued.store(0, ordering: .relaxed)
        condition.broadcast()
        wakePollers()
        condition.unlock()
        return drained
    }

    /// Load per session, for routing: queued plus in-flight jobs (workers that pipeline take work
    /// as soon as it is queued, so the queue alone would read empty on every backend and send
    /// everything to the first).
    var load: Double {
        Double(queued.load(ordering: .relaxed) + inFlight.load(ordering: .relaxed)) / Double(max(configuration.sessions, 1))
    }
}
