// Closed-loop signing load for failover tests: a few concurrent callers sign unique messages back
// to back, each call with its own deadline and idempotency key, and every outcome is recorded
// with its start and end time, so a test can say which calls failed, how long the slowest took,
// and when traffic was fully served again after a fault (the measured RTO).

import Foundation
import PersonaClient
import PersonaProtos
import RPCCore
import Synchronization

/// One finished call.
struct SignOutcome: Sendable {
    let message: [UInt8]
    let started: ContinuousClock.Instant
    let ended: ContinuousClock.Instant
    let signature: [UInt8]?
    let error: String?
    var latency: Duration { ended - started }
}

/// A running load; ``stop()`` ends it and returns every outcome.
final class SignLoad: Sendable {
    private let outcomes = Mutex<[SignOutcome]>([])
    private let running = Atomic<Bool>(true)
    private let task = Mutex<Task<Void, Never>?>(nil)

    /// Starts `callers` loops signing with `keyName` through `connection`.
    init(connection: PersonaConnection, keyName: String, callers: Int = 8, deadline: Duration = .seconds(5)) {
        let spawned = Task { [self] in
            await withTaskGroup(of: Void.self) { group in
                for caller in 0..<callers {
                    group.addTask { [self] in
                        var n = 0
                        while running.load(ordering: .relaxed) {
                            n += 1
                            let message = Array("caller \(caller) call \(n) \(UUID().uuidString)".utf8)
                            let started = ContinuousClock.now
                            do {
                                let response = try await connection.signing.sign(
                                    SignRequest(keyName: keyName, input: .data(message)),
                                    options: CallOptions(timeout: deadline, idempotencyKey: UUID().uuidString))
                                record(SignOutcome(message: message, started: started, ended: .now,
                                                   signature: response.signature, error: nil))
                            } catch {
                                record(SignOutcome(message: message, started: started, ended: .now, signature: nil,
                                                   error: "\(error)"))
                            }
                        }
                    }
                }
            }
        }
        task.withLock { $0 = spawned }
    }

    private func record(_ outcome: SignOutcome) { outcomes.withLock { $0.append(outcome) } }

    /// Outcomes so far.
    var snapshot: [SignOutcome] { outcomes.withLock { $0 } }

    /// Stops the callers (each finishes its current call) and returns every outcome.
    func stop() async -> [SignOutcome] {
        running.store(false, ordering: .relaxed)
        await task.withLock { $0 }?.value
        return snapshot
    }

    /// Time from `fault` until traffic was fully served elsewhere: the end of the last call that
    /// overlapped the fault and took longer than `normal`; zero when no call was held up.
    static func recoveryTime(_ outcomes: [SignOutcome], fault: ContinuousClock.Instant,
                             normal: Duration = .milliseconds(250)) -> Duration {
        let held = outcomes.filter { $0.ended > fault && $0.latency > normal }
        guard let last = held.map(\.ended).max() else { return .zero }
        return last - fault
    }

    /// A `BENCH` line for Tools/bench-failover.sh: the RTO, calls lost, and throughput before the
    /// fault (the baseline of the same run), while it was being recovered, and after, with ratios.
    static func benchLine(_ name: String, _ outcomes: [SignOutcome], fault: ContinuousClock.Instant,
                          rto: Duration) -> String {
        let first = outcomes.map(\.started).min() ?? fault, last = outcomes.map(\.ended).max() ?? fault
        let window = max(rto, .milliseconds(500))
        let before = throughput(outcomes, from: first + .milliseconds(300), to: fault)
        let during = throughput(outcomes, from: fault, to: fault + window)
        let after = throughput(outcomes, from: fault + window, to: last)
        let millis = Double(rto.components.seconds) * 1000 + Double(rto.components.attoseconds) / 1e15
        func r(_ x: Double) -> String { String(format: "%.2f", before > 0 ? x / before : 0) }
        return "BENCH \(name) rto_ms=\(Int(millis.rounded())) calls=\(outcomes.count) "
            + "failed=\(outcomes.filter { $0.error != nil }.count) ops_before=\(Int(before)) ops_during=\(Int(during)) "
            + "ops_after=\(Int(after)) during_vs_before=\(r(during)) after_vs_before=\(r(after))"
    }

    /// The longest call among those in flight at `instant`.
    static func longestAcross(_ outcomes: [SignOutcome], _ instant: ContinuousClock.Instant) -> Duration {
        outcomes.filter { $0.started <= instant && $0.ended >= instant }.map(\.latency).max() ?? .zero
    }

    /// Completed calls per second between `from` and `to`.
    static func throughput(_ outcomes: [SignOutcome], from: ContinuousClock.Instant, to: ContinuousClock.Instant) -> Double {
        let done = outcomes.filter { $0.error == nil && $0.ended >= from && $0.ended < to }.count
        let seconds = Double((to - from).components.seconds) + Double((to - from).components.attoseconds) / 1e18
        return seconds > 0 ? Double(done) / seconds : 0
    }
}
