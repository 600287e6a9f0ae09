// Everything the service handlers share, built once by the composition root (PersonaServer)
// and passed down: no globals.

import AuditLog
import Foundation
import HSMScheduler
import KeyRegistry
import Observability
import PersonaProtos

/// Limits the services enforce on requests.
public struct ServiceLimits: Sendable {
    /// Most items in one SignBatch / VerifyBatch.
    public var maxBatchItems: Int = 1024
    /// Largest message a sign request may carry (the HSM hashes it).
    public var maxSignInputBytes: Int = 1 << 20
    /// Largest plaintext for Encrypt.
    public var maxPlaintextBytes: Int = 1 << 20
    /// Seconds an idempotency key returns the first result.
    public var idempotencyWindowSeconds: Double = 86_400
    /// Dev mode: plaintext key import allowed, short destruction waits.
    public var devMode: Bool = false

    public init() {}
}

/// Shared dependencies of the handlers.
public final class ServiceEnvironment: Sendable {
    public let registry: KeyRegistry
    public let scheduler: HSMScheduler
    public let audit: AuditRecorder
    public let authorizer: Authorizer
    public let metrics: MetricsRegistry
    public let logger: JSONLogger
    public let limits: ServiceLimits
    /// First results of sign requests that carried an idempotency key.
    let signResults: IdempotencyCache<SignResponse>
    /// The same, shared with the other instances through the HSM cluster (nil: per instance only).
    public let sharedSignResults: SharedIdempotencyRecords?
    /// Degraded-mode switch: true while no HSM backend is reachable (read-only service).
    public let health: HealthState
    /// Quorum ledger and key custodian, installed by the composition root (AdminService, destruction).
    public let quorum = QuorumGate()

    public init(registry: KeyRegistry, scheduler: HSMScheduler, audit: AuditRecorder, authorizer: Authorizer,
                metrics: MetricsRegistry, logger: JSONLogger, limits: ServiceLimits, health: HealthState,
                sharedSignResults: SharedIdempotencyRecords? = nil) {
        self.sharedSignResults = sharedSignResults
        self.registry = registry
        self.scheduler = scheduler
        self.audit = audit
        self.authorizer = authorizer
        self.metrics = metrics
        self.logger = logger
        self.limits = limits
        self.health = health
        signResults = IdempotencyCache(window: limits.idempotencyWindowSeconds)
    }
}
