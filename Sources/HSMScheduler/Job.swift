// One queued request and the continuation of the caller waiting for it. A job can be touched by
// several threads (the worker running it, the health monitor stealing it from a hung worker, a
// cancelling caller), so completion is guarded: the first outcome wins and later ones are ignored,
// which is what makes re-dispatching a stuck job safe — and what makes an unsafe (unchecked)
// continuation sound here: it is resumed exactly once, under this lock's decision.

import Foundation
import PKCS11
import Synchronization

final class Job: @unchecked Sendable {
    let key: KeyReference
    let operation: HSMOperation
    let client: String
    let deadline: ContinuousClock.Instant
    let enqueuedAt: ContinuousClock.Instant
    /// Its caller waits for this job alone, not for a batch it belongs to (a JobGroup, or a
    /// batch the caller assembles itself): a worker process returns its outcome early.
    let awaitedAlone: Bool
    /// The batch this job belongs to (its outcome goes there instead of to a continuation).
    private let group: JobGroup?
    private let slot: Int

    private struct State {
        var continuation: UnsafeContinuation<HSMResult, any Error>?
        var outcome: Result<HSMResult, HSMError>?
        var delivered = false
        /// Backends that already failed this job or lack its key (by index).
        var tried: Set<Int> = []
        var keyMissingOn: Set<Int> = []
        var lastError: HSMError?
    }
    private let state = Mutex(State())

    init(key: KeyReference, operation: HSMOperation, client: String, deadline: ContinuousClock.Instant,
         group: JobGroup? = nil, slot: Int = 0, enqueuedAt: ContinuousClock.Instant = .now, awaitedAlone: Bool = true) {
        self.key = key
        self.operation = operation
        self.client = client
        self.deadline = deadline
        self.enqueuedAt = enqueuedAt
        self.group = group
        self.slot = slot
        self.awaitedAlone = awaitedAlone && group == nil
    }

    /// Attaches the caller's continuation; resumes at once if the job already finished.
    func attach(_ continuation: UnsafeContinuation<HSMResult, any Error>) {
        let ready: Result<HSMResult, HSMError>? = state.withLock { s in
            if let outcome = s.outcome, !s.delivered { s.delivered = true; return outcome }
            s.continuation = continuation
            return nil
        }
        if let ready { continuation.resume(with: ready.mapError { $0 as any Error }) }
    }

    /// Completes the job once; returns false when it had already completed.
    @discardableResult
    func complete(_ result: Result<HSMResult, HSMError>) -> Bool {
        let continuation: UnsafeContinuation<HSMResult, any Error>?? = state.withLock { s in
            guard s.outcome == nil else { return .none }
            s.outcome = result
            guard let c = s.continuation else { return .some(nil) }
            s.continuation = nil
            s.delivered = true
            return .some(c)
        }
        switch continuation {
        case .none: return false
        case .some(let c):
            if let group { group.deliver(result, at: slot) }
            c?.resume(with: result.mapError { $0 as any Error })
            return true
        }
    }

    var isDone: Bool { state.withLock { $0.outcome != nil } }


    /// Whether the deadline has passed.
    func isExpired(at now: ContinuousClock.Instant = .now) -> Bool { now >= deadline }

    /// Records that backend `index` could not do this job.
    func recordFailure(on index: Int, error: HSMError, keyMissing: Bool) {
        state.withLock { s in
            s.tried.insert(index)
            if keyMissing { s.keyMissingOn.insert(index) } else { s.lastError = error }
        }
    }

    var triedBackends: Set<Int> { state.withLock { $0.tried } }
    var failureSummary: (keyMissingOn: Set<Int>, lastError: HSMError?) { state.withLock { ($0.keyMissingOn, $0.lastError) } }
}
