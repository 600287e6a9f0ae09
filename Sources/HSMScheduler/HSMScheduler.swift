// The HSM session scheduler: the async front door of the HSM layer. Callers await `sign`,
// `encrypt` or `decrypt`; the request becomes a job routed to the least-loaded healthy backend that
// may hold the key, queued fairly per client, run in a batch by a worker that owns a session, and
// completed from that worker's thread. Work on a failing backend moves to another one; nothing is
// dropped except by an explicit error (deadline, queue full, no backend, bad request).

import Dispatch
import Foundation
import PKCS11
import Synchronization

/// Schedules HSM operations over one or more backends. Call `shutdown()` when done: worker
/// threads keep the scheduler alive until then.
public final class HSMScheduler: Sendable {
    /// Scheduler tuning.
    public let configuration: SchedulerConfiguration
    let backends: [Backend]
    private let running = Atomic<Bool>(true)
    private let monitorExited = DispatchSemaphore(value: 0)

    /// Starts workers and the health monitor for `backends`.
    /// - Throws: `HSMError(.invalidArgument)` for an empty or malformed backend list.
    public init(configuration: SchedulerConfiguration = SchedulerConfiguration(),
                backends: [BackendConfiguration]) throws {
        guard !backends.isEmpty, backends.allSatisfy({ $0.sessions > 0 }),
              Set(backends.map(\.name)).count == backends.count else {
            throw HSMError(.invalidArgument, "need at least one backend, unique names and sessions > 0")
        }
        guard configuration.batchSize > 0, configuration.queueCapacity > 0 else {
            throw HSMError(.invalidArgument, "batch size and queue capacity must be positive")
        }
        self.configuration = configuration
        self.backends = backends.enumerated().map { index, backend in
            var sized = backend
            sized.sessions = HSMScheduler.poolSize(for: backend)
            return Backend(index: index, configuration: sized, scheduler: configuration)
        }
        for backend in self.backends {
            for i in 0..<backend.configuration.sessions { startWorker(on: backend, number: i) }
        }
        let monitor = Thread { [self] in runHealthMonitor() }
        monitor.name = "hsm-health"
        monitor.start()
    }

    /// The configured session count, capped by the token's ulMaxSessionCount less the sessions
    /// the layer keeps besides workers (the login anchor and the health probe; per worker
    /// process also its own anchor). Unknown limits leave the configured count.
    static func poolSize(for backend: BackendConfiguration) -> Int {
        guard case .threads = backend.mode,
              let module = try? PKCS11Module.load(path: backend.modulePath),
              let token = try? module.token(label: backend.tokenLabel),
              let limit = token.info.maxSessionCount else { return backend.sessions }
        return max(1, min(backend.sessions, limit - 2))
    }

    func startWorker(on backend: Backend, number: Int) {
        let worker = Worker(backend: backend, scheduler: self)
        backend.workers.withLock { $0.append(worker) }
        worker.start(name: "hsm-\(backend.name)-\(number)")
    }

    func makeRunner(for backend: Backend) -> any BatchRunner {
        switch backend.configuration.mode {
        case .threads: InProcessRunner(configuration: backend.configuration)
        case .processes(let executable): ProcessRunner(configuration: backend.configuration, executable: executable,
                                                           flushInterval: configuration.outcomeFlushInterval)
        }
    }

    // MARK: Public API

    /// Signs `message` with the key whose CKA_ID is `key.id`.
    /// - Parameters:
    ///   - client: fairness identity (e.g. the caller's certificate identity or a batch job id).
    ///   - deadline: when the result stops being useful; defaults to now + `defaultTimeout`.
    ///   - awaitedAlone: false when the caller only uses this result together with others it
    ///     submitted at the same time (the items of a SignBatch call): its outcome then comes back
    ///     with the rest of its HSM batch, which costs fewer wake-ups than returning it early.
    /// - Throws: `HSMError`.
    public func sign(_ message: [UInt8], key: KeyReference, mechanism: SignatureMechanism,
                     ecdsaFormat: ECDSAFormat = .raw, client: String = "",
                     deadline: ContinuousClock.Instant? = nil, awaitedAlone: Bool = true) async throws -> [UInt8] {
        guard case .signature(let s) = try await perform(.sign(message: message, mechanism: mechanism, ecdsaFormat: ecdsaFormat),
                                                         key: key, client: client, deadline: deadline,
                                                         awaitedAlone: awaitedAlone) else {
            throw HSMError(.internal, "unexpected result kind")
        }
        return s
    }

    /// AES-256-GCM encryption with an HSM-generated IV.
    public func encrypt(_ plaintext: [UInt8], aad: [UInt8] = [], key: KeyReference, client: String = "",
                        deadline: ContinuousClock.Instant? = nil) async throws -> GCMSealedBox {
        guard case .sealed(let box) = try await perform(.encrypt(plaintext: plaintext, aad: aad), key: key,
                                                        client: client, deadline: deadline) else {
            throw HSMError(.internal, "unexpected result kind")
        }
        return box
    }

    /// AES-256-GCM decryption; a wrong tag is `.invalidArgument`.
    public func decrypt(_ box: GCMSealedBox, aad: [UInt8] = [], key: KeyReference, client: String = "",
                        deadline: ContinuousClock.Instant? = nil) async throws -> [UInt8] {
        guard case .plaintext(let p) = try await perform(.decrypt(box: box, aad: aad), key: key,
                                                         client: client, deadline: deadline) else {
            throw HSMError(.internal, "unexpected result kind")
        }
        return p
    }

    /// Runs any operation. Cancelling the calling task fails the request with `.cancelled`
    /// unless a worker already completed it.
    /// - Throws: `HSMError`.
    public func perform(_ operation: HSMOperation, key: KeyReference, client: String = "",
                        deadline: ContinuousClock.Instant? = nil, awaitedAlone: Bool = true) async throws -> HSMResult {
        guard running.load(ordering: .relaxed) else {
            throw HSMError(.unavailable(retryAfter: .seconds(1)), "scheduler is shut down")
        }
        let job = Job(key: key, operation: operation, client: client,
                      deadline: deadline ?? .now + configuration.defaultTimeout, awaitedAlone: awaitedAlone)
        return try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { continuation in
                job.attach(continuation)
                route(job)
            }
        } onCancel: {
            job.complete(.failure(HSMError(.cancelled, "cancelled by the caller")))
        }
    }

    // MARK: Lifecycle and status

    /// Health and counters of every backend.
    public func backendStatus() -> [BackendStatus] {
        backends.map { b in
            BackendStatus(name: b.name, cluster: b.configuration.cluster, sessions: b.workers.withLock { $0.count },
                          healthy: b.isHealthy, queued: b.queued.load(ordering: .relaxed),
                          completed: b.completed.load(ordering: .relaxed), failovers: b.failovers.load(ordering: .relaxed),
                          probeLatency: .microseconds(b.probeLatencyMicros.load(ordering: .relaxed)),
                          reason: b.unhealthyReason.withLock { $0 }, healthChangedAt: b.healthChangedAt.withLock { $0 })
        }
    }

    /// Stops accepting work, fails queued jobs with `.unavailable`, and waits (bounded) for
    /// workers to close their sessions.
    public func shutdown(timeout: Duration = .seconds(5)) {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        for backend in backends {
            for job in backend.stop() {
                job.complete(.failure(HSMError(.unavailable(retryAfter: .seconds(1)), "scheduler shut down", backend: backend.name)))
            }
        }
        for backend in backends {
            for worker in backend.workers.withLock({ $0 }) where !worker.retired.load(ordering: .relaxed) {
                _ = worker.join(timeout: timeout)
            }
        }
        _ = monitorExited.wait(timeout: .now() + .seconds(2))
        for backend in backends {
            backend.probeRunner.withLock { $0 }?.runner.abort()
            backend.probeRunner.withLock { $0 = nil }
        }
    }

    var isRunning: Bool { running.load(ordering: .relaxed) }
    func monitorDidExit() { monitorExited.signal() }
}

/// A snapshot of one backend.
public struct BackendStatus: Sendable {
    public var name: String
    /// Primary or disaster-recovery cluster.
    public var cluster: BackendCluster
    /// Sessions open on the node (one per live worker).
    public var sessions: Int
    public var healthy: Bool
    public var queued: Int
    public var completed: Int
    /// Jobs moved off this backend to another.
    public var failovers: Int
    /// Latency of the last health probe.
    public var probeLatency: Duration
    /// Why the backend is out of rotation (empty when healthy).
    public var reason: String
    /// When the backend last entered or left rotation.
    public var healthChangedAt: ContinuousClock.Instant
}
