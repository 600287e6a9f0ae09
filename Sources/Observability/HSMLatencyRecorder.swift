// Per-backend HSM latency for /metrics: one histogram series per backend, operation kind and
// outcome, next to the per-method RPC histograms. The scheduler reports every completed operation
// from its worker threads, so the series are looked up once and then kept here: the registry's
// family lock is not taken on the signing hot path.

import Synchronization

/// Records HSM operation latency as `personahsm_hsm_operation_seconds{backend,operation,outcome}`.
public final class HSMLatencyRecorder: Sendable {
    /// The metric family name.
    public static let metricName = "personahsm_hsm_operation_seconds"

    private struct SeriesKey: Hashable { var backend: String; var operation: String; var ok: Bool }

    private let metrics: MetricsRegistry
    private let series = Mutex<[SeriesKey: Histogram]>([:])

    public init(metrics: MetricsRegistry) {
        self.metrics = metrics
    }

    /// Adds one observation.
    /// - Parameters:
    ///   - backend: the HSM node that ran the operation.
    ///   - operation: the operation kind (`sign`, `sign_digest`, `encrypt`, ...).
    ///   - succeeded: whether the HSM did it (false: it refused the request).
    ///   - latency: from queueing to completion.
    public func record(backend: String, operation: String, succeeded: Bool, latency: Duration) {
        let key = SeriesKey(backend: backend, operation: operation, ok: succeeded)
        let histogram = series.withLock { cache in
            if let known = cache[key] { return known }
            let made = metrics.histogram(Self.metricName, help: "HSM operation latency (queue to completion) by backend, "
                                         + "operation and outcome",
                                         labels: ["backend": backend, "operation": operation,
                                                  "outcome": succeeded ? "ok" : "refused"])
            cache[key] = made
            return made
        }
        histogram.observe(latency)
    }
}
