// Submitting many operations in one call. Each operation is still its own job — queued fairly,
// deadline-checked, failed over one by one — but the caller awaits once for all of them, which is
// what makes a batch cheap for the caller's process (see JobGroup).

import PKCS11
import Synchronization

extension HSMScheduler {
    /// Runs `operations` on `key` and returns one result per operation, in order. Individual
    /// failures (deadline, queue full, wrong request) are per-item results; nothing throws.
    /// Cancelling the calling task fails the items not yet completed with `.cancelled`.
    public func performBatch(_ operations: [HSMOperation], key: KeyReference, client: String = "",
                             deadline: ContinuousClock.Instant? = nil) async -> [Result<HSMResult, HSMError>] {
        guard !operations.isEmpty else { return [] }
        guard isRunning else {
            return operations.map { _ in .failure(HSMError(.unavailable(retryAfter: .seconds(1)), "scheduler is shut down")) }
        }
        let deadline = deadline ?? .now + configuration.defaultTimeout
        let now = ContinuousClock.now
        let box = JobsBox()
        return await withTaskCancellationHandler {
            await withUnsafeContinuation { continuation in
                let group = JobGroup(count: operations.count, continuation: continuation)
                let jobs = operations.enumerated().map { index, operation in
                    Job(key: key, operation: operation, client: client, deadline: deadline, group: group, slot: index,
                        enqueuedAt: now)
                }
                box.set(jobs)
                routeBatch(jobs, key: key, deadline: deadline)
            }
        } onCancel: {
            for job in box.get() { job.complete(.failure(HSMError(.cancelled, "cancelled by the caller"))) }
        }
    }

    /// Queues a batch's jobs together on the least-loaded healthy backend that may hold the key;
    /// whatever does not fit there (or any trouble) goes through the per-job routing.
    func routeBatch(_ jobs: [Job], key: KeyReference, deadline: ContinuousClock.Instant) {
        let eligible = preferPrimary(backends.filter { $0.isHealthy && !$0.isKnownMissing(key) })
        guard ContinuousClock.now < deadline, let target = eligible.min(by: { $0.load < $1.load }) else {
            for job in jobs { route(job) }
            return
        }
        for job in target.enqueue(contentsOf: jobs, batchSize: configuration.batchSize) { route(job) }
    }

    /// Signs every message with `key`; one result per message, in order.
    public func signBatch(_ messages: [[UInt8]], key: KeyReference, mechanism: SignatureMechanism,
                          ecdsaFormat: ECDSAFormat = .raw, client: String = "",
                          deadline: ContinuousClock.Instant? = nil) async -> [Result<[UInt8], HSMError>] {
        let results = await performBatch(messages.map { .sign(message: $0, mechanism: mechanism, ecdsaFormat: ecdsaFormat) },
                                         key: key, client: client, deadline: deadline)
        return results.map { result in
            result.flatMap { value in
                if case .signature(let s) = value { return .success(s) }
                return .failure(HSMError(.internal, "unexpected result kind"))
            }
        }
    }
}

/// The jobs of a batch, for the cancellation handler (which may run before they exist).
private final class JobsBox: Sendable {
    private let jobs = Mutex<[Job]>([])
    func set(_ list: [Job]) { jobs.withLock { $0 = list } }
    func get() -> [Job] { jobs.withLock { $0 } }
}
