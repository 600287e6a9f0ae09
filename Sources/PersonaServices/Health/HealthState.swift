// The service's view of HSM reachability, fed by the scheduler's health checks. When no backend
// is healthy the service runs read-only: verification and public-key reads work from cached
// public keys, anything that needs the HSM fails fast with UNAVAILABLE and a retry hint.

import HSMScheduler
import Observability
import RPCCore
import Synchronization

/// Reachability of the HSM layer, refreshed from the scheduler.
public final class HealthState: Sendable {
    private let scheduler: HSMScheduler
    private let extra = Mutex<[String: String]>([:])

    public init(scheduler: HSMScheduler) {
        self.scheduler = scheduler
    }

    /// True when at least one backend is healthy.
    public var hsmReachable: Bool { scheduler.backendStatus().contains { $0.healthy } }

    /// Throws UNAVAILABLE at once when no backend is reachable (degraded, read-only mode).
    public func requireHSM() throws {
        guard hsmReachable else {
            throw RPCError(.unavailable, "no HSM backend is reachable; the service is read-only",
                           details: ErrorDetails(retryAfterMillis: 1000, reason: "HSM_UNAVAILABLE"))
        }
    }

    /// Marks another condition that makes the server not ready (e.g. the audit log), or clears it.
    public func setProblem(_ name: String, _ reason: String?) {
        extra.withLock { $0[name] = reason }
    }

    /// What /readyz reports: ready when every node is in rotation; degraded (200, with every
    /// node's state) when some are out, when only the DR cluster serves, or when none does
    /// (read-only); not ready (503) for a problem outside the HSM layer, such as the audit log.
    public var readiness: Readiness {
        if let problem = extra.withLock({ $0.sorted { $0.key < $1.key }.first }) {
            return .notReady("\(problem.key): \(problem.value)")
        }
        let statuses = scheduler.backendStatus()
        let healthy = statuses.filter(\.healthy)
        guard healthy.count < statuses.count else { return .ready }
        let nodes = Self.describe(statuses)
        if healthy.isEmpty {
            return .degraded("no HSM node reachable: read-only (verify and public keys only); \(nodes)")
        }
        if !healthy.contains(where: { $0.cluster == .primary }) {
            return .degraded("no primary HSM node in rotation: serving from the DR cluster; \(nodes)")
        }
        return .degraded("HSM nodes out of rotation: \(statuses.filter { !$0.healthy }.map(\.name).joined(separator: ",")); \(nodes)")
    }

    /// One `name(cluster)=up|down ...` entry per node.
    static func describe(_ statuses: [BackendStatus]) -> String {
        "nodes: " + statuses.map { status in
            let micros = status.probeLatency.components.seconds * 1_000_000
                + status.probeLatency.components.attoseconds / 1_000_000_000_000
            let state = status.healthy ? "up probe=\(micros)us sessions=\(status.sessions) queued=\(status.queued)"
                                       : "down (\(status.reason))"
            return "\(status.name)[\(status.cluster.rawValue)]=\(state)"
        }.joined(separator: " ")
    }
}
