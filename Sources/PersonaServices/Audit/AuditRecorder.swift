// Turns calls into audit records. Calls that return signatures or plaintext await a durable
// record before answering; everything else (reads, denials) is recorded without waiting, by the
// audit interceptor, so a slow disk never slows a read.

import AuditLog
import Foundation
import Observability
import RPCCore
import SoftCrypto

/// Writes audit records for the services.
public final class AuditRecorder: Sendable {
    public let log: AuditLog
    private let metrics: MetricsRegistry

    public init(log: AuditLog, metrics: MetricsRegistry) {
        self.log = log
        self.metrics = metrics
    }

    /// Appends a record and returns once it is durable.
    /// - Throws: UNAVAILABLE (AUDIT_UNAVAILABLE) when the log cannot be written within its bound.
    @discardableResult
    public func recordDurably(_ context: ServerContext, keyName: String, version: UInt32, requestDigest: [UInt8],
                              outcome: StatusCode, message: String = "", extra: [String: String] = [:])
        async throws -> AuditReceipt
    {
        do {
            return try await log.append(event(context, keyName: keyName, version: version, requestDigest: requestDigest,
                                              outcome: outcome, message: message, extra: extra))
        } catch {
            metrics.counter("personahsm_audit_failures_total", help: "Audit appends that failed").increment()
            throw RPCError(.unavailable, "audit log unavailable; the call was not completed",
                           details: ErrorDetails(retryAfterMillis: 1000, reason: "AUDIT_UNAVAILABLE"))
        }
    }

    /// Appends a record without waiting for it to be durable.
    public func record(_ context: ServerContext, keyName: String = "", version: UInt32 = 0, requestDigest: [UInt8] = [],
                       outcome: StatusCode, message: String = "", extra: [String: String] = [:]) {
        if !log.appendDetached(event(context, keyName: keyName, version: version, requestDigest: requestDigest,
                                     outcome: outcome, message: message, extra: extra)) {
            metrics.counter("personahsm_audit_failures_total", help: "Audit appends that failed").increment()
        }
    }

    private func event(_ context: ServerContext, keyName: String, version: UInt32, requestDigest: [UInt8],
                       outcome: StatusCode, message: String, extra: [String: String]) -> AuditEvent {
        var extra = extra
        if let trace = context.traceID { extra["trace_id"] = trace }
        if let key = context.idempotencyKey { extra["idempotency_key"] = key }
        if !context.peer.fingerprintSHA256.isEmpty { extra["peer_sha256"] = context.peer.fingerprintSHA256 }
        return AuditEvent(identity: context.peer.name.isEmpty ? "<anonymous>" : context.peer.name,
                          method: context.method.fullName, keyName: keyName, keyVersion: version,
                          requestSHA256: requestDigest, outcome: outcome.description, message: Self.clipped(message),
                          extra: extra)
    }

    /// Most UTF-8 bytes of a status message a record keeps. A refusal may echo what the client
    /// sent (a 200 KB operation id, say); uncut, the event would exceed `AuditEvent.maxTextBytes`
    /// and the refusal would go unrecorded.
    static let maxMessageBytes = 4096

    /// `message`, cut at a scalar boundary to `maxMessageBytes` with its full length noted.
    static func clipped(_ message: String) -> String {
        guard message.utf8.count > maxMessageBytes else { return message }
        var kept = String.UnicodeScalarView()
        var bytes = 0
        for scalar in message.unicodeScalars {
            bytes += UTF8.width(scalar)
            if bytes > maxMessageBytes { break }
            kept.append(scalar)
        }
        return String(kept) + "… (\(message.utf8.count) bytes)"
    }
}

/// Records every call that its handler does not audit itself (reads, admin calls, failures),
/// and measures calls: per-method latency histograms and errors by code.
public final class AuditInterceptor: ServerInterceptor {
    /// Methods whose handlers write their own durable records.
    public static let selfAudited: Set<String> = [
        "/persona.hsm.v1.SigningService/Sign", "/persona.hsm.v1.SigningService/SignBatch",
        "/persona.hsm.v1.SigningService/SignStream", "/persona.hsm.v1.CryptoService/Encrypt",
        "/persona.hsm.v1.CryptoService/Decrypt", "/persona.hsm.v1.CryptoService/GenerateDataKey",
        "/persona.hsm.v1.AdminService/Backup", "/persona.hsm.v1.AdminService/Restore",
        "/persona.hsm.v1.AdminService/ProposeOperation", "/persona.hsm.v1.AdminService/Approve",
    ]

    private let recorder: AuditRecorder
    private let metrics: MetricsRegistry

    public init(recorder: AuditRecorder, metrics: MetricsRegistry) {
        self.recorder = recorder
        self.metrics = metrics
    }

    public func callEnded(_ context: ServerContext, status: RPCError?, elapsed: Duration) {
        let method = context.method.method
        metrics.histogram("personahsm_rpc_latency_seconds", help: "RPC latency by method",
                          labels: ["method": method]).observe(elapsed)
        let code = status?.code ?? .ok
        metrics.counter("personahsm_rpc_calls_total", help: "RPC calls by method and status code",
                        labels: ["method": method, "code": code.description]).increment()
        // Denials are recorded by the authorizer; self-audited methods record their successes.
        if code == .permissionDenied || code == .unauthenticated { return }
        if Self.selfAudited.contains(context.method.fullName), code == .ok { return }
        recorder.record(context, outcome: code, message: status?.message ?? "")
    }
}
