// Drives an operation in a closed loop (N in flight) or an open loop (fixed arrival rate).
// Open-loop latency is measured from each request's intended send time, not from when it was
// actually sent, so a stalled server shows up as the queueing delay its users would feel
// instead of being hidden (no coordinated omission).

import Foundation
import RPCCore
import Synchronization

/// How load is offered.
public enum LoadShape: Sendable, Equatable {
    /// `concurrency` requests always in flight.
    case closedLoop(concurrency: Int)
    /// Requests arrive at `ratePerSecond`, up to `maxInFlight` concurrently; arrivals beyond that
    /// wait, and their wait counts as latency.
    case openLoop(ratePerSecond: Double, maxInFlight: Int)
}

/// The outcome of one run.
public struct LoadResult: Sendable {
    public var shape: LoadShape
    public var elapsedSeconds: Double
    public var completed: UInt64
    /// Failed calls by status code name.
    public var errors: [String: UInt64]
    /// Latencies of successful calls, nanoseconds.
    public var latency: LatencyHistogram
    /// The first error's message, to tell the user what went wrong.
    public var firstError: String?
    /// Completions per second (successes only).
    public var throughput: Double { elapsedSeconds > 0 ? Double(completed) / elapsedSeconds : 0 }
    public var errorCount: UInt64 { errors.values.reduce(0, +) }
}

/// Runs load against one operation.
public struct LoadRunner: Sendable {
    /// The operation under test; its index counts from 0 across the run.
    public let operation: @Sendable (_ index: UInt64) async throws -> Void

    public init(operation: @escaping @Sendable (_ index: UInt64) async throws -> Void) {
        self.operation = operation
    }

    /// Runs `shape` for `warmup` (discarded) and then `duration`.
    /// - Parameter progress: called about once a second with (seconds done, completions so far).
    public func run(_ shape: LoadShape, duration: Duration, warmup: Duration = .zero,
                    progress: (@Sendable (Double, UInt64) -> Void)? = nil) async -> LoadResult {
        if warmup > .zero { _ = await measure(shape, duration: warmup, progress: nil) }
        return await measure(shape, duration: duration, progress: progress)
    }

    private func measure(_ shape: LoadShape, duration: Duration,
                         progress: (@Sendable (Double, UInt64) -> Void)?) async -> LoadResult {
        let collector = Collector()
        let clock = ContinuousClock()
        let start = clock.now
        let end = start + duration
        let ticker = progress.map { report in
            Task {
                while !Task.isCancelled, clock.now < end {
                    try? await Task.sleep(for: .seconds(1))
                    report(Double((clock.now - start).components.seconds), collector.completedCount)
                }
            }
        }
        switch shape {
        case .closedLoop(let concurrency):
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<max(1, concurrency) {
                    group.addTask {
                        while clock.now < end {
                            let index = collector.nextIndex()
                            let sent = clock.now
                            await self.call(index, intended: sent, clock: clock, collector: collector)
                        }
                    }
                }
            }
        case .openLoop(let rate, let maxInFlight):
            let interval = Duration.nanoseconds(Int64(1e9 / max(rate, 0.001)))
            let slots = AsyncSemaphore(max(1, maxInFlight))
            await withTaskGroup(of: Void.self) { group in
                var intended = start
                while intended < end {
                    if intended > clock.now { try? await Task.sleep(until: intended, clock: clock) }
                    await slots.acquire()  // waiting here is queueing time: it is measured below
                    let index = collector.nextIndex()
                    let due = intended
                    group.addTask {
                        await self.call(index, intended: due, clock: clock, collector: collector)
                        slots.release()
                    }
                    intended += interval
                }
            }
        }
        ticker?.cancel()
        let elapsed = clock.now - start
        let (seconds, attoseconds) = elapsed.components
        return collector.result(shape: shape, elapsed: Double(seconds) + Double(attoseconds) / 1e18)
    }

    private func call(_ index: UInt64, intended: ContinuousClock.Instant, clock: ContinuousClock,
                      collector: Collector) async {
        do {
            try await operation(index)
            collector.success(clock.now - intended)
        } catch let error as RPCError {
            collector.failure(error.code.description, message: error.message)
        } catch let error as any RPCStatusConvertible {
            collector.failure(error.rpcError.code.description, message: error.rpcError.message)
        } catch {
            collector.failure("UNKNOWN", message: "\(error)")
        }
    }
}

/// Thread-safe accumulation of results across the run's tasks.
final class Collector: Sendable {
    private struct State {
        var histogram = LatencyHistogram()
        var errors: [String: UInt64] = [:]
        var completed: UInt64 = 0
        var firstError: String?
    }

    private let state = Mutex(State())
    private let counter = Atomic<UInt64>(0)
    private let done = Atomic<UInt64>(0)

    func nextIndex() -> UInt64 { counter.add(1, ordering: .relaxed).oldValue }
    var completedCount: UInt64 { done.load(ordering: .relaxed) }

    func success(_ latency: Duration) {
        done.add(1, ordering: .relaxed)
        state.withLock {
            $0.histogram.record(latency)
            $0.completed += 1
        }
    }

    func failure(_ code: String, message: String) {
        state.withLock {
            $0.errors[code, default: 0] += 1
            if $0.firstError == nil { $0.firstError = "\(code): \(message)" }
        }
    }

    func result(shape: LoadShape, elapsed: Double) -> LoadResult {
        state.withLock {
            LoadResult(shape: shape, elapsedSeconds: elapsed, completed: $0.completed, errors: $0.errors,
                       latency: $0.histogram, firstError: $0.firstError)
        }
    }
}

/// A counting semaphore for async code (bounds in-flight requests).
final class AsyncSemaphore: Sendable {
    private struct State {
        var available: Int
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state: Mutex<State>

    init(_ count: Int) { state = Mutex(State(available: count)) }

    func acquire() async {
        let acquired = state.withLock { state -> Bool in
            guard state.available > 0 else { return false }
            state.available -= 1
            return true
        }
        if acquired { return }
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { state -> Bool in
                if state.available > 0 {
                    state.available -= 1
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    func release() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiters.isEmpty {
                state.available += 1
                return nil
            }
            return state.waiters.removeFirst()
        }
        waiter?.resume()
    }
}
