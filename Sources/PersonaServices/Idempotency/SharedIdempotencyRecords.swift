// Idempotency records shared by the server instances of one HSM cluster, behind the per-instance
// cache: a keyed call that misses locally asks here before signing, and a first result is
// persisted here before its response leaves. Both sides are grouped so throughput holds up:
// - writes: records gather for a short flush interval and go out as one object per flush, a few
//   flushes at a time (the log's writer sessions);
// - reads: a miss waits for a catch-up read of the other instances' new objects that started
//   after the miss arrived (so it sees everything written before the client retried); misses
//   that arrive while one runs share the next one.
// Records live for a short shared window (a few times the longest client deadline), after which
// any instance prunes them. A token that stops answering must not hold signing up: lookups and
// writes give up after `timeout` (the write itself still completes later if it can).

import Foundation
import KeyRegistry
import RPCCore
import Synchronization

/// The shared side of idempotency.
public final class SharedIdempotencyRecords: Sendable {
    private struct Pending {
        var record: SharedIdempotencyRecord
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        /// Records other instances wrote, by scoped key.
        var records: [String: SharedIdempotencyRecord] = [:]
        var readRunning = false
        /// Misses waiting for the catch-up read that is running (they arrived before it started).
        var waitingNow: [CheckedContinuation<Void, any Error>] = []
        /// Misses that arrived while a read ran: they need the next one.
        var waitingNext: [CheckedContinuation<Void, any Error>] = []
        var pending: [Pending] = []
        var flushScheduled = false
    }

    public let log: SharedRecordLog
    /// Seconds a record counts.
    public let window: Double
    private let flushInterval: Duration
    private let timeout: Duration
    private let now: @Sendable () -> Double
    private let state = Mutex(State())

    /// - Parameters:
    ///   - log: the shared-state token's record log.
    ///   - window: seconds a record is kept and honoured.
    ///   - flushInterval: how long records gather before they are written as one object.
    ///   - timeout: longest wait for a lookup or a write before it fails.
    public init(log: SharedRecordLog, window: Double, flushInterval: Duration = .milliseconds(2),
                timeout: Duration = .seconds(1),
                now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.log = log
        self.window = window
        self.flushInterval = flushInterval
        self.timeout = timeout
        self.now = now
    }

    /// The record another instance wrote for `key`, after catching up with what they wrote
    /// before this call; nil when there is none (or it expired).
    public func lookup(_ key: String) async throws -> SharedIdempotencyRecord? {
        if let known = current(key) { return known }
        try await bounded { try await self.catchUp() }
        return current(key)
    }

    /// Persists `record` (grouped with others) and returns once it is on the token.
    public func persist(key: String, digest: [UInt8], response: [UInt8]) async throws {
        let record = SharedIdempotencyRecord(key: key, digest: digest, response: response, expires: now() + window)
        try await bounded { try await self.enqueue(record) }
    }

    private func enqueue(_ record: SharedIdempotencyRecord) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let start: Bool = state.withLock { state in
                state.pending.append(Pending(record: record, continuation: continuation))
                defer { state.flushScheduled = true }
                return !state.flushScheduled
            }
            if start { Task { await self.flushLoop() } }
        }
    }

    /// Reads what others wrote (to learn of their objects), then destroys expired objects and
    /// forgets expired records.
    /// - Returns: objects destroyed.
    @discardableResult
    public func prune() async throws -> Int {
        try await bounded {
            try await self.catchUp()
            let time = self.now()
            self.state.withLock { $0.records = $0.records.filter { $0.value.expires > time } }
            return try await self.log.prune()
        }
    }

    private func current(_ key: String) -> SharedIdempotencyRecord? {
        let time = now()
        return state.withLock { state in state.records[key].flatMap { $0.expires > time ? $0 : nil } }
    }

    /// Waits for a catch-up read that starts after this call.
    private func catchUp() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let start: Bool = state.withLock { state in
                if state.readRunning {
                    state.waitingNext.append(continuation)
                    return false
                }
                state.readRunning = true
                state.waitingNow = [continuation]
                return true
            }
            if start { Task { await self.readLoop() } }
        }
    }

    /// Runs catch-up reads until no miss is waiting for one.
    private func readLoop() async {
        while true {
            let outcome: Result<Void, any Error>
            do {
                let found = try await log.readNew().compactMap(SharedIdempotencyRecord.decode).joined()
                state.withLock { state in
                    for record in found { state.records[record.key] = record }
                }
                outcome = .success(())
            } catch {
                outcome = .failure(error)
            }
            let (finished, again) = state.withLock { state in
                let finished = state.waitingNow
                state.waitingNow = state.waitingNext
                state.waitingNext = []
                state.readRunning = !state.waitingNow.isEmpty
                return (finished, state.readRunning)
            }
            finished.forEach { $0.resume(with: outcome) }
            if !again { return }
        }
    }

    /// Writes gathered records, one object per flush, until none are pending. Up to the log's
    /// writer count of flushes run at once; records keep gathering while all are busy.
    private func flushLoop() async {
        await withTaskGroup(of: Void.self) { group in
            var inFlight = 0
            while true {
                try? await Task.sleep(for: flushInterval)
                if inFlight >= log.writerCount {
                    await group.next()
                    inFlight -= 1
                }
                let batch: [Pending] = state.withLock { state in
                    defer { state.pending = [] }
                    return state.pending
                }
                if !batch.isEmpty {
                    group.addTask { await self.write(batch) }
                    inFlight += 1
                    continue
                }
                if inFlight > 0 {
                    await group.next()
                    inFlight -= 1
                    continue
                }
                let done: Bool = state.withLock { state in
                    if state.pending.isEmpty { state.flushScheduled = false }
                    return state.pending.isEmpty
                }
                if done { return }
            }
        }
    }

    private func write(_ batch: [Pending]) async {
        let outcome: Result<Void, any Error>
        do {
            let expires = batch.map(\.record.expires).max() ?? now()
            try await log.append(SharedIdempotencyRecord.encode(batch.map(\.record)), expires: expires)
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        batch.forEach { $0.continuation.resume(with: outcome) }
    }

    /// Runs `body` but returns (throwing UNAVAILABLE) after `timeout` if it has not finished.
    private func bounded<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let once = ResumeOnce(continuation)
            let timer = Task { [timeout] in
                try await Task.sleep(for: timeout)
                once.resume(with: .failure(RPCError(.unavailable, "the shared-state token did not answer within \(timeout)")))
            }
            Task {
                let outcome: Result<T, any Error>
                do { outcome = .success(try await body()) } catch { outcome = .failure(error) }
                timer.cancel()
                once.resume(with: outcome)
            }
        }
    }
}

/// A continuation that whichever of two racers finishes first resumes.
private final class ResumeOnce<T: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<T, any Error>?>

    init(_ continuation: CheckedContinuation<T, any Error>) {
        self.continuation = Mutex(continuation)
    }

    func resume(with outcome: Result<T, any Error>) {
        continuation.withLock { $0.take() }?.resume(with: outcome)
    }
}
