// The measurements of `make bench-rpc`: closed-loop throughput (64 calls in flight over 4
// connections), open-loop latency at 80 % of that rate, 64 KiB message throughput, and the
// server's RSS with 1,000 idle connections. Every figure is printed with a ratio to a baseline
// measured in the same run (a single call in flight for rates, the idle server for memory).

import Foundation
import RPCCore
import RPCTransport
import Synchronization

struct BenchClient {
    let port: Int
    let pki: DevPKIDirectory

    /// One client loop by default; BENCH_CLIENT_LOOPS and BENCH_CLIENT_CPUS (e.g. "0") change them.
    func channel(connections: Int, keepalive: Duration = .seconds(30)) throws -> RPCChannel {
        var configuration = RPCChannelConfiguration(
            endpoints: [RPCEndpoint(host: "127.0.0.1", port: port, serverName: "localhost")],
            tls: TLSConfiguration(credentials: .files(pki.clientCredentials("issuer"))),
            connectionsPerEndpoint: connections, eventLoopThreads: BenchKnobs.integer("BENCH_CLIENT_LOOPS") ?? 1,
            connectTimeout: .seconds(30), keepaliveInterval: keepalive)
        configuration.eventLoopCPUs = BenchKnobs.cpus("BENCH_CLIENT_CPUS")
        return try RPCChannel(configuration: configuration)
    }

    /// Calls/s with `inFlight` callers looping for `seconds`.
    func closedLoopRate(channel: RPCChannel, inFlight: Int, seconds: Double, payload: [UInt8]) async throws -> Double {
        let stop = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        let start = ContinuousClock.now
        let total = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<inFlight {
                group.addTask(executorPreference: callerExecutor(channel, index)) {
                    var count = 0
                    while ContinuousClock.now < stop {
                        _ = try await channel.unary(BenchMethods.echo, request: payload, options: CallOptions())
                        count += 1
                    }
                    return count
                }
            }
            return try await group.reduce(0, +)
        }
        return Double(total) / (ContinuousClock.now - start).seconds
    }

    /// Latencies (µs, sorted) of calls issued on a fixed schedule at `rate` calls/s, measured from
    /// the scheduled send time (so queueing delay is not hidden). A pacer thread hands tickets to
    /// idle workers instead of every worker sleeping per call: timers at 50k/s would cost the
    /// generator more CPU than the calls it measures.
    func openLoopLatencies(channel: RPCChannel, rate: Double, seconds: Double, workers: Int) async throws
        -> (fromSchedule: [Double], fromStart: [Double])
    {
        let pacer = OpenLoopPacer(rate: rate, total: Int(rate * seconds))
        Thread.detachNewThread { pacer.run() }
        let latencies = try await withThrowingTaskGroup(of: ([Double], [Double]).self) { group in
            for index in 0..<workers {
                group.addTask(executorPreference: callerExecutor(channel, index)) {
                    var fromSchedule: [Double] = []
                    var fromStart: [Double] = []
                    while let scheduled = await pacer.nextTicket() {
                        let started = ContinuousClock.now
                        _ = try await channel.unary(BenchMethods.echo, request: [1, 2, 3, 4], options: CallOptions())
                        let finished = ContinuousClock.now
                        fromSchedule.append((finished - scheduled).seconds * 1e6)
                        fromStart.append((finished - started).seconds * 1e6)
                    }
                    return (fromSchedule, fromStart)
                }
            }
            return try await group.reduce(into: ([Double](), [Double]())) { $0.0 += $1.0; $0.1 += $1.1 }
        }
        return (latencies.0.sorted(), latencies.1.sorted())
    }

    /// Where the calling tasks run: on the client's event loops (default; no hop through the
    /// cooperative pool per call) or, with BENCH_CALLER_EXECUTOR=pool, on the global executor.
    func callerExecutor(_ channel: RPCChannel, _ index: Int) -> (any TaskExecutor)? {
        if ProcessInfo.processInfo.environment["BENCH_CALLER_EXECUTOR"] == "pool" { return nil }
        let executors = channel.taskExecutors
        return executors[index % executors.count]
    }

    func stats(_ channel: RPCChannel) async throws -> (connections: Int, rssKiB: Int) {
        let reply = try await channel.unary(BenchMethods.stats, request: [], options: CallOptions())
        let parts = String(decoding: reply, as: UTF8.self).split(separator: " ").compactMap { Int($0) }
        return (parts[0], parts[1])
    }
}

extension Duration {
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}

/// Releases calls on a fixed schedule. A worker claims the next call index; if that call is due
/// it starts at once (no hand-off, so a busy generator adds no cost per call), otherwise it waits
/// until a pacer thread, waking when the next parked call is due (at most every 100 µs), releases
/// it at its scheduled time.
final class OpenLoopPacer: Sendable {
    private struct Waiter {
        let due: ContinuousClock.Instant
        let continuation: CheckedContinuation<ContinuousClock.Instant?, Never>
    }

    private struct State {
        var next = 0
        var waiters: [Waiter] = []
        var finished = false
    }

    private let state = Mutex(State())
    private let begin = ContinuousClock.now + .milliseconds(20)
    private let interval: Duration
    private let total: Int

    init(rate: Double, total: Int) {
        interval = .nanoseconds(Int64(1e9 / rate))
        self.total = total
    }

    /// The scheduled start of the caller's next call, or nil when every call has been issued.
    func nextTicket() async -> ContinuousClock.Instant? {
        let claimed = state.withLock { state -> Int? in
            guard state.next < total else { return nil }
            defer { state.next += 1 }
            return state.next
        }
        guard let index = claimed else { return nil }
        let due = begin + interval * index
        if due <= .now + .microseconds(20) { return due }
        return await withCheckedContinuation { continuation in
            state.withLock { state in
                // Kept sorted by due time (claims arrive almost in order: the scan is short), so
                // the pacer releases a prefix instead of scanning every parked worker each tick.
                var position = state.waiters.count
                while position > 0 && state.waiters[position - 1].due > due { position -= 1 }
                state.waiters.insert(Waiter(due: due, continuation: continuation), at: position)
            }
        }
    }

    /// Runs on its own thread; releases waiting workers when their call is due.
    func run() {
        while true {
            let now = ContinuousClock.now
            let (due, done, next) = state.withLock { state -> (ArraySlice<Waiter>, Bool, ContinuousClock.Instant?) in
                let count = state.waiters.prefix { $0.due <= now }.count
                let due = state.waiters[..<count]
                state.waiters.removeFirst(count)
                return (due, state.next >= total && state.waiters.isEmpty, state.waiters.first?.due)
            }
            for waiter in due { waiter.continuation.resume(returning: waiter.due) }
            if done { return }
            // Tickets are claimed in schedule order, so a call parked while the pacer sleeps is due
            // no earlier than the earliest one parked now: sleep until that one (10 ms at most),
            // but at least 100 µs, so at high rates each wake-up releases a batch (a release up to
            // 100 µs late is counted in the latency). A fixed 100 µs tick cost 13 % of a core at 5k/s.
            let wait = next.map { ($0 - .now).seconds * 1e6 } ?? 100
            usleep(useconds_t(min(10_000, max(100, wait))))
        }
    }
}
