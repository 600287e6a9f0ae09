// The health monitor: one thread that, every `healthInterval`, looks for workers stuck inside the
// HSM (moving their batch elsewhere and replacing them) and probes backends — unhealthy ones until
// they answer again, healthy ones now and then to measure latency. Probes run on their own short
// threads so a hanging HSM can only stall a probe, never the monitor.

import Dispatch
import Foundation

extension HSMScheduler {
    func runHealthMonitor() {
        defer { monitorDidExit() }
        let interval = configuration.healthInterval
        while isRunning {
            Thread.sleep(forTimeInterval: Double(interval.components.attoseconds) / 1e18 + Double(interval.components.seconds))
            guard isRunning else { break }
            for backend in backends {
                detectHungWorkers(on: backend)
                superviseProbe(of: backend)
            }
        }
    }

    private func detectHungWorkers(on backend: Backend) {
        let limit = UInt64(configuration.hangTimeout.components.seconds) * 1_000_000_000
            + UInt64(configuration.hangTimeout.components.attoseconds / 1_000_000_000)
        let now = DispatchTime.now().uptimeNanoseconds
        for worker in backend.workers.withLock({ $0 }) {
            let since = worker.busySince.load(ordering: .acquiring)
            guard since != 0, now > since, now - since > limit, !worker.retired.load(ordering: .relaxed) else { continue }
            worker.retired.store(true, ordering: .relaxed)
            worker.wasDeclaredHung.store(true, ordering: .relaxed)
            let stolen = worker.current.withLock { $0 }
            worker.abort()
            var moved = takeOutOfRotation(backend, reason: "a session hung for more than \(configuration.hangTimeout)")
            for job in stolen where !job.isDone {
                job.recordFailure(on: backend.index, error: HSMError(.unavailable(retryAfter: .milliseconds(100)), "hung",
                                                                     backend: backend.name), keyMissing: false)
                moved.append(job)
            }
            backend.workers.withLock { list in list.removeAll { $0 === worker } }
            startWorker(on: backend, number: Int.random(in: 100...999))
            for job in moved where !job.isDone {
                backend.failovers.add(1, ordering: .relaxed)
                route(job)
            }
        }
    }

    private func superviseProbe(of backend: Backend) {
        let now = ContinuousClock.now
        if let started = backend.probeInFlight.withLock({ $0 }) {
            let limit = backend.probePreparing.load(ordering: .acquiring) ? configuration.probeStartTimeout
                                                                          : configuration.probeTimeout
            guard now - started > limit else { return }
            // The probe is stuck: abandon it and count the backend as down.
            backend.probeEpoch.add(1, ordering: .relaxed)
            backend.probeRunner.withLock { $0 }?.runner.abort()
            backend.probeRunner.withLock { $0 = nil }
            backend.probeInFlight.withLock { $0 = nil }
            backend.lastProbe.withLock { $0 = now }
            probeFailed(backend, reason: "health probe timed out")
            return
        }
        let last = backend.lastProbe.withLock { $0 }
        let due = backend.isHealthy ? configuration.healthyProbeInterval : configuration.healthInterval
        guard now - last >= due else { return }
        backend.probePreparing.store(true, ordering: .releasing)
        backend.probeInFlight.withLock { $0 = now }
        let epoch = backend.probeEpoch.load(ordering: .relaxed)
        let thread = Thread { [self] in probe(backend, epoch: epoch) }
        thread.name = "hsm-probe-\(backend.name)"
        thread.start()
    }

    private func probe(_ backend: Backend, epoch: Int) {
        let runner = backend.probeRunner.withLock { box in
            if let existing = box { return existing }
            let fresh = Worker.RunnerRef(runner: makeRunner(for: backend))
            box = fresh
            return fresh
        }
        let prepared = runner.runner.prepare()
        guard backend.probeEpoch.load(ordering: .relaxed) == epoch else { return }
        let start = ContinuousClock.now
        backend.probeInFlight.withLock { $0 = start }
        backend.probePreparing.store(false, ordering: .releasing)
        let outcome = prepared ? runner.runner.probe(healthKey: backend.configuration.healthKey)
                               : .backendFault(HSMError(.unavailable(retryAfter: .seconds(1)), "worker did not start",
                                                        backend: backend.name))
        let elapsed = ContinuousClock.now - start
        guard backend.probeEpoch.load(ordering: .relaxed) == epoch, isRunning else { return }
        backend.probeInFlight.withLock { $0 = nil }
        backend.lastProbe.withLock { $0 = .now }
        let answered: Bool = switch outcome {
        case .done, .noSession: true  // a token that refuses a session is up
        default: false
        }
        if answered, elapsed <= configuration.probeTimeout {
            backend.probeLatencyMicros.store(Int(elapsed.wholeMicroseconds), ordering: .relaxed)
            backend.probeFailures.store(0, ordering: .relaxed)
            if !backend.isHealthy { backend.markHealthy() }
        } else {
            let reason: String = switch outcome {
            case .backendFault(let e), .failed(let e): "health probe failed: \(e)"
            default: "health probe too slow (\(elapsed))"
            }
            probeFailed(backend, reason: reason)
        }
    }

    /// Counts a failed probe; a healthy backend leaves rotation after enough in a row.
    private func probeFailed(_ backend: Backend, reason: String) {
        let failures = backend.probeFailures.add(1, ordering: .relaxed).newValue
        guard backend.isHealthy, failures >= configuration.probeFailuresToEject else { return }
        for job in takeOutOfRotation(backend, reason: reason) { route(job) }
    }
}
