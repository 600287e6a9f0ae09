// Raises an alert (a log event and a metric) when one identity keeps failing authentication or
// authorization: a stolen certificate probing for keys looks exactly like that.

import Foundation
import Observability
import Synchronization

/// Counts failures per identity in a sliding window and alerts once per window when the
/// threshold is crossed.
public final class AuthFailureMonitor: Sendable {
    private struct State {
        var threshold: Int
        var window: Double
        var failures: [String: [Double]] = [:]
        var alertedUntil: [String: Double] = [:]
    }

    private let state: Mutex<State>
    private let logger: JSONLogger
    private let metrics: MetricsRegistry
    private let now: @Sendable () -> Double

    public init(threshold: Int, windowSeconds: Double, logger: JSONLogger, metrics: MetricsRegistry,
                now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        state = Mutex(State(threshold: threshold, window: windowSeconds))
        self.logger = logger
        self.metrics = metrics
        self.now = now
    }

    func updateThreshold(count: Int, windowSeconds: Double) {
        state.withLock {
            $0.threshold = count
            $0.window = windowSeconds
        }
    }

    /// Records one failure; returns true when this failure raised an alert.
    @discardableResult
    public func recordFailure(identity: String, reason: String) -> Bool {
        metrics.counter("personahsm_auth_failures_total", help: "Failed authentications and authorizations",
                        labels: ["reason": reason]).increment()
        let time = now()
        let (alert, count) = state.withLock { state -> (Bool, Int) in
            var recent = (state.failures[identity] ?? []).filter { time - $0 < state.window }
            recent.append(time)
            state.failures[identity] = recent
            if state.failures.count > 10_000 {  // bound memory under a flood of distinct identities
                state.failures = state.failures.filter { !($0.value.last.map { time - $0 >= state.window } ?? true) }
            }
            guard recent.count >= state.threshold, (state.alertedUntil[identity] ?? 0) <= time else {
                return (false, recent.count)
            }
            state.alertedUntil[identity] = time + state.window
            return (true, recent.count)
        }
        if alert {
            metrics.counter("personahsm_auth_failure_alerts_total",
                            help: "Alerts raised for repeated auth failures from one identity").increment()
            logger.warning("repeated authentication/authorization failures",
                           ["alert": "auth_failures", "identity": .string(identity), "failures": .int(Int64(count)),
                            "last_reason": .string(reason)])
        }
        return alert
    }
}
