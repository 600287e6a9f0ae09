// `personahsm health`: the server's status and each HSM backend's.

import ArgumentParsing
import Foundation
import PersonaClient
import PersonaProtos

enum HealthCommands {
    static var health: Command {
        Command("health", summary: "Show server and HSM backend health", options: ClientOptions.specs) { args in
            var serving = false
            let status = try await run(args, defaultRole: "verifier") { connection in
                let response = try await connection.health.check(HealthCheckRequest(), options: options(args))
                serving = response.status == .serving || response.status == .degraded
                let name = [ServingStatus.serving: "SERVING", .degraded: "DEGRADED", .notServing: "NOT_SERVING"][
                    response.status] ?? "UNKNOWN"
                if args.flag("json") {
                    Output.json(["status": name, "reason": response.reason,
                                 "backends": response.backends.map { ["name": $0.name, "cluster": $0.cluster,
                                                                      "healthy": $0.healthy, "queue_depth": $0.queueDepth,
                                                                      "last_error": $0.lastError] as [String: Any] }])
                } else {
                    Output.line(name + (response.reason.isEmpty ? "" : ": \(response.reason)"))
                    for backend in response.backends {
                        Output.line("  \(backend.name) (\(backend.cluster)): \(backend.healthy ? "healthy" : "UNHEALTHY")"
                                    + (backend.lastError.isEmpty ? "" : " — \(backend.lastError)"))
                    }
                }
            }
            return status == 0 && !serving ? ExitCode.invalid : status
        }
    }
}
