// The HealthService handlers, modelled on grpc.health.v1: Check answers now, Watch sends the
// current status and then every change until the caller goes away.

import Foundation
import HSMScheduler
import PersonaProtos
import RPCCore

/// Implements `persona.hsm.v1.HealthService`.
public struct HealthService: HealthServiceHandler {
    let environment: ServiceEnvironment
    let clusters: [String: String]
    static let services: Set<String> = ["", "persona.hsm.v1.KeyService", "persona.hsm.v1.SigningService",
                                        "persona.hsm.v1.CryptoService", "persona.hsm.v1.AdminService",
                                        "persona.hsm.v1.HealthService"]

    /// - Parameter clusters: backend name → `primary` or `dr`, for the report.
    public init(environment: ServiceEnvironment, clusters: [String: String] = [:]) {
        self.environment = environment
        self.clusters = clusters
    }

    public func check(_ request: HealthCheckRequest, context: ServerContext) async throws -> HealthCheckResponse {
        guard Self.services.contains(request.service) else {
            throw RPCError(.notFound, "unknown service \(request.service)")
        }
        return current()
    }

    public func watch(_ request: HealthCheckRequest, writer: ResponseWriter<HealthCheckResponse>,
                      context: ServerContext) async throws {
        guard Self.services.contains(request.service) else {
            try await writer.write(HealthCheckResponse(status: .serviceUnknown, reason: "unknown service"))
            return
        }
        var last: HealthCheckResponse?
        while !context.cancellation.isCancelled, !Task.isCancelled {
            let now = current()
            if now != last {
                try await writer.write(now)
                last = now
            }
            try await Task.sleep(for: .milliseconds(250))
        }
    }

    func current() -> HealthCheckResponse {
        let backends = environment.scheduler.backendStatus().map { status in
            BackendHealth(name: status.name, cluster: clusters[status.name] ?? status.cluster.rawValue,
                          healthy: status.healthy, openSessions: UInt32(clamping: status.sessions), queueDepth: UInt32(clamping: status.queued),
                          lastCheckMicros: UInt32(clamping: status.probeLatency.components.seconds * 1_000_000
                                                  + status.probeLatency.components.attoseconds / 1_000_000_000_000),
                          lastError: status.reason)
        }
        switch environment.health.readiness {
        case .ready: return HealthCheckResponse(status: .serving, backends: backends)
        case .degraded(let reason): return HealthCheckResponse(status: .degraded, backends: backends, reason: reason)
        case .notReady(let reason): return HealthCheckResponse(status: .notServing, backends: backends, reason: reason)
        }
    }
}
