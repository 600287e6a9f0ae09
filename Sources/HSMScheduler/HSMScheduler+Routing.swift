// Routing and completion: where a job goes (the least-loaded healthy primary backend that may hold
// its key; a disaster-recovery backend only when no primary one is left),
// what a worker's outcomes mean (done, wrong request, key missing here, backend broken), and how
// work moves off a backend that failed — the code that makes "no request lost" hold.

import Foundation
import PKCS11

extension HSMScheduler {
    /// Queues `job` on the best eligible backend, or completes it with the reason it cannot run.
    func route(_ job: Job) {
        if job.isDone { return }
        if job.isExpired() {
            job.complete(.failure(HSMError(.deadlineExceeded, "deadline passed before the request could run")))
            return
        }
        let tried = job.triedBackends
        var sawFull = false
        // Fast path (one backend, first attempt): no candidate list to build.
        if backends.count == 1 {
            let backend = backends[0]
            if tried.isEmpty && backend.isHealthy && !backend.isKnownMissing(job.key) {
                switch backend.enqueue(job) {
                case .queued: return
                case .full: sawFull = true
                case .unavailable: break
                }
            }
        } else {
            var candidates = preferPrimary(backends.filter {
                $0.isHealthy && !tried.contains($0.index) && !$0.isKnownMissing(job.key)
            })
            if candidates.count > 1 { candidates.sort { $0.load < $1.load } }
            for backend in candidates {
                switch backend.enqueue(job) {
                case .queued: return
                case .full: sawFull = true
                case .unavailable: continue
                }
            }
        }
        let (missingOn, lastError) = job.failureSummary
        if sawFull {
            job.complete(.failure(HSMError(.queueFull(retryAfter: retryHint()), "all eligible HSM queues are full")))
        } else if !missingOn.isEmpty && missingOn.count == tried.count
                    && backends.allSatisfy({ missingOn.contains($0.index) || !$0.isHealthy }) {
            job.complete(.failure(HSMError(.notFound, "no backend holds \(job.key)")))
        } else if tried.isEmpty && backends.contains(where: { $0.isHealthy })
                    && backends.allSatisfy({ !$0.isHealthy || $0.isKnownMissing(job.key) }) {
            job.complete(.failure(HSMError(.notFound, "no backend holds \(job.key)")))
        } else {
            let reasons = backends.filter { !$0.isHealthy }.map { "\($0.name): \($0.unhealthyReason.withLock { $0 })" }
            var error = lastError ?? HSMError(.unavailable(retryAfter: retryHint()),
                                              "no healthy HSM backend (\(reasons.joined(separator: "; ")))")
            error.kind = .unavailable(retryAfter: retryHint())
            job.complete(.failure(error))
        }
    }

    /// DR nodes serve only when no primary node that may hold the key is in rotation: keeps the
    /// primary candidates of `candidates` if there are any.
    func preferPrimary(_ candidates: [Backend]) -> [Backend] {
        guard candidates.contains(where: { $0.configuration.cluster == .primary }) else { return candidates }
        return candidates.filter { $0.configuration.cluster == .primary }
    }

    /// How long a rejected caller should wait: the time to drain the shortest queue, within bounds.
    func retryHint() -> Duration {
        let healthy = backends.filter(\.isHealthy)
        guard let shortest = healthy.map({ $0.queued.load(ordering: .relaxed) }).min() else { return .milliseconds(500) }
        // Assume ~5k ops/s per backend when nothing better is known.
        let millis = min(max(shortest / 5, 5), 1000)
        return .milliseconds(millis)
    }

    /// Delivers a worker's outcomes; moves work off a backend that failed.
    /// Returns whether the worker should retire (the token refused it a session).
    @discardableResult
    func handle(outcomes: [ExecutionOutcome], of jobs: [Job], on backend: Backend) -> Bool {
        var reroute: [Job] = []
        var fault: HSMError?
        var refused = false
        let observer = configuration.completionObserver
        let now = ContinuousClock.now
        for (job, outcome) in zip(jobs, outcomes) {
            switch outcome {
            case .done(let result):
                if job.complete(.success(result)) { backend.completed.add(1, ordering: .relaxed) }
                observer?(HSMCompletion(backend: backend.name, operation: job.operation.kindName, succeeded: true,
                                        latency: now - job.enqueuedAt))
            case .failed(let error):
                job.complete(.failure(error))
                observer?(HSMCompletion(backend: backend.name, operation: job.operation.kindName, succeeded: false,
                                        latency: now - job.enqueuedAt))
            case .expired:
                job.complete(.failure(HSMError(.deadlineExceeded, "deadline passed before the HSM call", backend: backend.name)))
            case .keyMissing:
                backend.noteMissing(job.key)
                job.recordFailure(on: backend.index, error: HSMError(.notFound, "key missing", backend: backend.name), keyMissing: true)
                reroute.append(job)
            case .backendFault(let error):
                fault = error
                job.recordFailure(on: backend.index, error: error, keyMissing: false)
                reroute.append(job)
            case .noSession:
                refused = true
                reroute.append(job)
            }
        }
        if let fault { reroute += takeOutOfRotation(backend, reason: fault.description) }
        for job in reroute where !job.isDone {
            backend.failovers.add(1, ordering: .relaxed)
            route(job)
        }
        return refused
    }

    /// A worker left its loop. A worker that hung and came back is replaced if the pool is short;
    /// one the token refused a session is not (the token says the pool is too big).
    func workerExited(_ worker: Worker, refusedSession: Bool) {
        let backend = worker.backend
        let active = backend.workers.withLock { list in
            list.removeAll { $0 === worker }
            return list.count
        }
        guard isRunning, !refusedSession, worker.wasDeclaredHung.load(ordering: .relaxed),
              active < backend.configuration.sessions else { return }
        startWorker(on: backend, number: Int.random(in: 1000...9999))
    }

    /// Marks `backend` unhealthy and returns its queued jobs (each marked as tried there).
    func takeOutOfRotation(_ backend: Backend, reason: String) -> [Job] {
        let drained = backend.markUnhealthy(reason)
        for job in drained {
            job.recordFailure(on: backend.index, error: HSMError(.unavailable(retryAfter: .milliseconds(100)), reason,
                                                                 backend: backend.name), keyMissing: false)
        }
        return drained
    }
}
