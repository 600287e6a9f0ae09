// The shared completion of a batch submitted in one call (`HSMScheduler.performBatch`): one
// continuation for N jobs instead of N, so a caller with many requests (the SignBatch RPC, a bulk
// issuance, the benchmark's load generator) pays one task wake-up per batch, not per request.
// Each job writes its own slot once (its completion is already exactly-once); the job that brings
// the count to zero resumes the caller.

import PKCS11
import Synchronization

final class JobGroup: @unchecked Sendable {
    private let results: UnsafeMutablePointer<Result<HSMResult, HSMError>>
    private let count: Int
    private let remaining: Atomic<Int>
    private let continuation: UnsafeContinuation<[Result<HSMResult, HSMError>], Never>

    /// `count` must be > 0; `continuation` is resumed exactly once, when every slot is filled.
    init(count: Int, continuation: UnsafeContinuation<[Result<HSMResult, HSMError>], Never>) {
        precondition(count > 0)
        self.count = count
        results = .allocate(capacity: count)
        results.initialize(repeating: .failure(HSMError(.internal, "not completed")), count: count)
        remaining = Atomic(count)
        self.continuation = continuation
    }

    deinit {
        results.deinitialize(count: count)
        results.deallocate()
    }

    /// Called once per slot by the job that won its completion.
    func deliver(_ result: Result<HSMResult, HSMError>, at slot: Int) {
        results[slot] = result
        // Releasing publishes this slot; the last caller's acquire sees every slot.
        if remaining.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 {
            continuation.resume(returning: Array(UnsafeBufferPointer(start: results, count: count)))
        }
    }
}
