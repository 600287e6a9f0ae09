// Returns the first result for a repeated idempotency key within a window, so a client that
// retries after a timeout, or a batch job resumed after a crash, never gets a second signature
// for the same request. Concurrent repeats wait for the first attempt instead of racing it.
// Failures are not remembered: a retry after an error runs again.

import Foundation
import RPCCore
import Synchronization

/// Deduplicates operations by key, per process. (Across server instances, SigningEngine consults
/// ``SharedIdempotencyRecords`` inside the operation; this cache is the per-instance fast path.)
public final class IdempotencyCache<Value: Sendable>: Sendable {
    private enum Entry {
        case running(digest: [UInt8], waiters: [CheckedContinuation<Value, any Error>])
        case done(digest: [UInt8], value: Value, expires: Double)
    }

    private enum Decision { case run, wait, hit(Value), conflict }

    private struct State {
        var entries: [String: Entry] = [:]
        var order: [(key: String, expires: Double)] = []
    }

    private let state = Mutex(State())
    private let window: Double
    private let capacity: Int
    private let now: @Sendable () -> Double

    /// - Parameters:
    ///   - window: seconds a result is remembered.
    ///   - capacity: most results remembered; the oldest go first.
    public init(window: Double, capacity: Int = 1_000_000,
                now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.window = window
        self.capacity = capacity
        self.now = now
    }

    /// Runs `operation` once per `key` within the window and returns its result to every repeat.
    /// - Throws: INVALID_ARGUMENT when the key was used with a different request (`digest`).
    public func run(key: String, digest: [UInt8], _ operation: @Sendable () async throws -> Value) async throws -> Value {
        let time = now()
        let decision: Decision = state.withLock { state in
            switch state.entries[key] {
            case .done(let stored, let value, let expires) where expires > time:
                return stored == digest ? .hit(value) : .conflict
            case .running(let stored, _):
                return stored == digest ? .wait : .conflict
            default:
                state.entries[key] = .running(digest: digest, waiters: [])
                return .run
            }
        }
        switch decision {
        case .hit(let value): return value
        case .conflict:
            throw RPCError(.invalidArgument, "idempotency key \(key) was already used with a different request")
        case .wait:
            return try await withCheckedThrowingContinuation { continuation in
                let outcome: Result<Value, any Error>? = state.withLock { state in
                    switch state.entries[key] {
                    case .running(let stored, var waiters):
                        waiters.append(continuation)
                        state.entries[key] = .running(digest: stored, waiters: waiters)
                        return nil
                    case .done(_, let value, _): return .success(value)
                    case nil: return .failure(RPCError(.aborted, "the first attempt with this idempotency key failed; retry"))
                    }
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        case .run:
            do {
                let value = try await operation()
                finish(key: key, digest: digest, result: .success(value))
                return value
            } catch {
                finish(key: key, digest: digest, result: .failure(error))
                throw error
            }
        }
    }

    private func finish(key: String, digest: [UInt8], result: Result<Value, any Error>) {
        let time = now()
        let waiters: [CheckedContinuation<Value, any Error>] = state.withLock { state in
            guard case .running(_, let waiters) = state.entries[key] else { return [] }
            switch result {
            case .success(let value):
                state.entries[key] = .done(digest: digest, value: value, expires: time + window)
                state.order.append((key, time + window))
                evict(&state, at: time)
            case .failure:
                state.entries[key] = nil
            }
            return waiters
        }
        let shared: Result<Value, any Error> = result.mapError { error in
            error is RPCError ? error : RPCError(.aborted, "the first attempt with this idempotency key failed; retry")
        }
        waiters.forEach { $0.resume(with: shared) }
    }

    private func evict(_ state: inout State, at time: Double) {
        var drop = 0
        while drop < state.order.count,
              state.order[drop].expires <= time || state.order.count - drop > capacity {
            let key = state.order[drop].key
            if case .done(_, _, let expires) = state.entries[key], expires <= state.order[drop].expires {
                state.entries[key] = nil
            }
            drop += 1
        }
        if drop > 0 { state.order.removeFirst(drop) }
    }

    /// Results currently remembered (tests and metrics).
    public var count: Int {
        state.withLock { $0.entries.values.filter { if case .done = $0 { return true } else { return false } }.count }
    }
}
