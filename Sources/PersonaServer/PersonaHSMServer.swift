// The composition root: turns a ServerConfig into a running personahsmd. It opens the HSM
// backends, loads the key registry from them, makes sure the audit key exists, starts the
// scheduler, the audit log, the RPC server with its interceptors, the ops HTTP port and the
// maintenance loop (rotation, scheduled destruction), and takes them down again in reverse.

import AuditLog
import Foundation
import HSMScheduler
import KeyRegistry
import Observability
import PKCS11
import PersonaServices
import RPCCore
import RPCTransport
import Synchronization

/// A running personahsmd.
public final class PersonaHSMServer: Sendable {
    public let config: ServerConfig
    public let logger: JSONLogger
    public let metrics: MetricsRegistry
    public let registry: KeyRegistry
    public let scheduler: HSMScheduler
    public let audit: AuditLog
    let authorizer: Authorizer
    let rpc: RPCServer
    let ops: OpsHTTPServer
    let maintenance: Task<Void, Never>
    /// Quorum ledger and custodian (policy changes go through it on SIGHUP).
    let quorum: QuorumGate

    /// The bound RPC port.
    public var port: Int { rpc.port }
    /// The bound ops HTTP port.
    public var opsPort: UInt16 { ops.port }

    private init(config: ServerConfig, logger: JSONLogger, metrics: MetricsRegistry, registry: KeyRegistry,
                 scheduler: HSMScheduler, audit: AuditLog, authorizer: Authorizer, rpc: RPCServer, ops: OpsHTTPServer,
                 maintenance: Task<Void, Never>, quorum: QuorumGate) {
        self.config = config
        self.logger = logger
        self.metrics = metrics
        self.registry = registry
        self.scheduler = scheduler
        self.audit = audit
        self.authorizer = authorizer
        self.rpc = rpc
        self.ops = ops
        self.maintenance = maintenance
        self.quorum = quorum
    }

    /// Starts everything `config` describes.
    /// - Parameters:
    ///   - maintenanceInterval: how often rotation and destruction are checked.
    ///   - now: the key registry's clock, milliseconds since the epoch; tests pass a simulated
    ///     clock to drive rotation and destruction (then call ``runMaintenance()``).
    ///   - auditSinkWrapper: wraps the audit log's file sink, e.g. to inject write errors in tests.
    public static func start(config: ServerConfig, logger: JSONLogger,
                             maintenanceInterval: Duration = .seconds(60),
                             now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) },
                             auditSinkWrapper: (@Sendable (any FileSink) -> any FileSink)? = nil)
        async throws -> PersonaHSMServer
    {
        signal(SIGPIPE, SIG_IGN)
        let metrics = MetricsRegistry()
        let backends = try config.backends.enumerated().map { try OpenedBackend(config: $1, applyEnvironment: $0 == 0) }
        let sharedState = try openSharedState(config: config)
        let excluded = replicationExclusions(config: config, stateSerial: sharedState?.serial)
        let replicator = config.replication.map { SoftHSMStoreCopy(source: $0.from, targets: $0.to, excluding: excluded) }
        // Bring the DR copy up to date (or create it: the first copy clones the partition) before
        // any worker opens it.
        try replicator?.replicateNow()
        let reachability = SchedulerReachability()
        let store = TokenKeyStore(nodes: backends.map(\.node), replicator: replicator,
                                  reachable: { reachability.anyPrimaryHealthy })
        var options = KeyRegistryOptions()
        options.defaultRotationSeconds = UInt64(config.tuning.rotationDays * 86_400)
        options.defaultDestructionWaitMillis = Int64(config.tuning.destructionWaitDays * 86_400_000)
        if config.dev { options.minimumDestructionWaitMillis = 0 }
        let registry = try await KeyRegistry.open(store: store, options: options, now: now)
        let auditFolder = URL(fileURLWithPath: config.audit.path).deletingLastPathComponent().path
        let auditKey = try await HSMCheckpointSigner.prepareKey(named: config.audit.keyName, registry: registry,
                                                                exportTo: auditFolder + "/keys")
        let healthKey = try KeyRegistry.id(fromHex: try auditKey.versionForPrivateOperation(0).hsmID)

        var schedulerConfig = SchedulerConfiguration()
        schedulerConfig.batchSize = config.tuning.batchSize
        schedulerConfig.queueCapacity = config.tuning.queueCapacity
        schedulerConfig.hangTimeout = .milliseconds(config.tuning.hangTimeoutMillis)
        schedulerConfig.healthInterval = .milliseconds(config.tuning.healthIntervalMillis)
        let hsmLatency = HSMLatencyRecorder(metrics: metrics)
        schedulerConfig.completionObserver = { completion in
            hsmLatency.record(backend: completion.backend, operation: completion.operation,
                              succeeded: completion.succeeded, latency: completion.latency)
        }
        let scheduler = try HSMScheduler(configuration: schedulerConfig, backends: backends.map {
            BackendConfiguration(name: $0.config.name, modulePath: $0.config.module, tokenLabel: $0.tokenLabel,
                                 pin: $0.pin, sessions: $0.config.sessions, mode: workerMode(for: $0.config),
                                 healthKey: KeyReference(id: healthKey), workerEnvironment: $0.config.environment ?? [:],
                                 cluster: BackendCluster(rawValue: $0.config.cluster) ?? .primary)
        })
        reachability.attach(scheduler)
        let audit: AuditLog
        do {
            audit = try AuditLog.open(path: config.audit.path, options: AuditLogOptions(
                signer: HSMCheckpointSigner(registry: registry, scheduler: scheduler, keyName: config.audit.keyName),
                checkpointInterval: UInt64(config.audit.checkpointEvery),
                durabilityTimeout: .milliseconds(config.audit.writeTimeoutMillis), wrapSink: auditSinkWrapper))
        } catch {
            scheduler.shutdown()
            throw error
        }
        let recorder = AuditRecorder(log: audit, metrics: metrics)
        let monitor = AuthFailureMonitor(threshold: 5, windowSeconds: 60, logger: logger.child("auth"), metrics: metrics)
        let policy = try AccessPolicy.load(path: config.policy)
        let authorizer = Authorizer(policy: policy, monitor: monitor) { context, error in
            recorder.record(context, outcome: error.code, message: error.message)
        }
        authorizer.replacePolicy(policy)
        var limits = ServiceLimits()
        limits.maxBatchItems = config.tuning.maxBatchRequest
        limits.idempotencyWindowSeconds = config.tuning.idempotencyWindowSeconds
        limits.devMode = config.dev
        let health = HealthState(scheduler: scheduler)
        let environment = ServiceEnvironment(registry: registry, scheduler: scheduler, audit: recorder,
                                             authorizer: authorizer, metrics: metrics, logger: logger, limits: limits,
                                             health: health, sharedSignResults: sharedState?.records)
        try installCustody(config: config, backends: backends, registry: registry, store: store, environment: environment,
                           now: now)
        let clusters = Dictionary(uniqueKeysWithValues: config.backends.map { ($0.name, $0.cluster) })
        let listen = HostPort(config.listen)!
        let rpc = try RPCServer(
            configuration: RPCServerConfiguration(host: listen.host, port: Int(listen.port),
                                                  maxFrameSize: config.tuning.maxFrameBytes,
                                                  maxConcurrentStreamsPerConnection: config.tuning.maxStreamsPerConnection,
                                                  maxConnections: config.tuning.maxConnections),
            tls: TLSConfiguration(credentials: .files(TLSCredentialFiles(
                certificateChainPath: config.tls.certificate, privateKeyPath: config.tls.privateKey,
                trustRootsPath: config.tls.clientCA, revocationListPaths: config.tls.crl.map { [$0] } ?? [])),
                allowTLS12: config.tls.minimumVersion == "1.2"),
            services: [KeyService(environment: environment), SigningService(environment: environment),
                       CryptoService(environment: environment), HealthService(environment: environment, clusters: clusters),
                       AdminService(environment: environment)],
            interceptors: [authorizer, AuditInterceptor(recorder: recorder, metrics: metrics)])
        try rpc.start()
        let opsAddress = HostPort(config.opsListen)!
        let ops = try OpsHTTPServer(host: opsAddress.host, port: opsAddress.port, metrics: metrics) {
            health.readiness
        }
        // One instance of those sharing the cluster rotates and destroys keys (docs/OPERATIONS.md).
        let lease = MaintenanceLease(node: backends[0].node, ttl: maintenanceInterval * 3, settle: maintenanceInterval / 2,
                                     now: now)
        let maintenance = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: maintenanceInterval)
                if Task.isCancelled { break }
                // Other instances' key changes (creates, rotations, state changes) become visible here.
                try? await registry.refresh()
                let leads = await lease.renewAndCheck()
                metrics.gauge("personahsm_maintenance_leader", help: "1 while this instance runs key rotation")
                    .set(leads ? 1 : 0)
                if leads { await runMaintenance(registry: registry, logger: logger) }
                // Any instance prunes expired shared records (one that died leaves its own behind).
                _ = try? await sharedState?.records.prune()
                publishBackendMetrics(scheduler: scheduler, metrics: metrics)
            }
            await lease.release()
        }
        logger.info("personahsmd started", ["listen": .string("\(listen.host):\(rpc.port)"),
                                            "ops": .string("\(opsAddress.host):\(ops.port)"),
                                            "keys": .int(Int64(registry.list().count)),
                                            "backends": .int(Int64(backends.count)), "dev": .bool(config.dev),
                                            "replication": .string(replicator?.summary ?? "by the HSM cluster"),
                                            "shared_idempotency": .bool(sharedState != nil)])
        return PersonaHSMServer(config: config, logger: logger, metrics: metrics, registry: registry,
                                scheduler: scheduler, audit: audit, authorizer: authorizer, rpc: rpc, ops: ops,
                                maintenance: maintenance, quorum: environment.quorum)
    }

    /// SIGHUP: reload TLS credentials (CRL included) and the access policy. Open connections
    /// keep going; a file that fails to load leaves the old value in force.
    public func reload() {
        do {
            try rpc.reloadCredentials()
            logger.info("TLS credentials reloaded")
        } catch {
            logger.error("TLS reload failed; keeping the old credentials", ["error": .string("\(error)")])
        }
        if quorum.ledger != nil {
            Task { await reloadPolicyUnderQuorum() }
            return
        }
        do {
            authorizer.replacePolicy(try AccessPolicy.load(path: config.policy))
            logger.info("access policy reloaded")
        } catch {
            logger.error("policy reload failed; keeping the old policy", ["error": .string("\(error)")])
        }
    }

    /// Graceful shutdown: GOAWAY and drain the RPC server, write a final signed checkpoint and
    /// close the audit log, then stop the HSM workers.
    public func shutdown(drainTimeout: Duration = .seconds(10)) async {
        maintenance.cancel()  // the loop releases the maintenance lease as it ends
        await rpc.shutdown(gracefully: true, timeout: drainTimeout)
        ops.stop()
        do { try await audit.close() } catch {
            logger.error("audit log close failed", ["error": .string("\(error)")])
        }
        scheduler.shutdown()
        logger.info("personahsmd stopped")
    }

    /// Runs key maintenance (due rotations, destructions whose wait is over) now, instead of
    /// waiting for the next tick of the maintenance loop.
    /// - Returns: what was done.
    @discardableResult
    public func runMaintenance() async -> [MaintenanceEvent] {
        await Self.runMaintenance(registry: registry, logger: logger)
    }

    @discardableResult
    static func runMaintenance(registry: KeyRegistry, logger: JSONLogger) async -> [MaintenanceEvent] {
        let events = await registry.runMaintenance()
        for event in events {
            logger.info("key maintenance", ["event": .string("\(event)")])
        }
        return events
    }

    /// Worker processes when asked for, or by default when the worker executable sits next to
    /// this one; threads otherwise.
    static func workerMode(for backend: BackendConfig) -> WorkerMode {
        let executable = WorkerMode.defaultWorkerExecutable
        switch backend.workers {
        case "threads": return .threads
        default:
            return FileManager.default.isExecutableFile(atPath: executable) ? .processes(executable: executable) : .threads
        }
    }

    static func publishBackendMetrics(scheduler: HSMScheduler, metrics: MetricsRegistry) {
        for status in scheduler.backendStatus() {
            metrics.gauge("personahsm_backend_healthy", help: "1 when the HSM backend is in rotation",
                          labels: ["backend": status.name]).set(status.healthy ? 1 : 0)
            metrics.gauge("personahsm_backend_queue_depth", help: "Requests queued for the HSM backend",
                          labels: ["backend": status.name]).set(Double(status.queued))
            metrics.gauge("personahsm_backend_completed", help: "Requests the backend completed",
                          labels: ["backend": status.name]).set(Double(status.completed))
            metrics.gauge("personahsm_backend_sessions", help: "Sessions (workers) open on the HSM backend",
                          labels: ["backend": status.name, "cluster": status.cluster.rawValue]).set(Double(status.sessions))
            metrics.gauge("personahsm_backend_probe_seconds", help: "Latency of the last health probe (test sign)",
                          labels: ["backend": status.name]).set(Double(status.probeLatency.components.attoseconds) / 1e18
                                                                + Double(status.probeLatency.components.seconds))
        }
    }
}

/// A backend's module loaded, token found and logged in.
struct OpenedBackend {
    let config: BackendConfig
    let pin: PIN
    let tokenLabel: String
    let token: Token
    let node: TokenNode

    /// - Parameter applyEnvironment: put the node's environment into this process before the
    ///   module loads. Only the first node's is applied: a module reads it once, at C_Initialize,
    ///   and later nodes' values (another SOFTHSM2_CONF, a fault config) belong to their worker
    ///   processes, not to this process's admin sessions.
    init(config: BackendConfig, applyEnvironment: Bool) throws {
        self.config = config
        if applyEnvironment {
            for (name, value) in config.environment ?? [:] { setenv(name, value, 1) }
        }
        if let file = config.pinFile {
            pin = try PIN.fromFile(file)
        } else {
            pin = try PIN.fromEnvironment(config.pinEnv ?? "")
        }
        let module = try PKCS11Module.load(path: config.module)
        let token = config.token.hasPrefix("pkcs11:")
            ? try module.token(matching: PKCS11URI(config.token)) : try module.token(label: config.token)
        try token.login(pin: pin)
        tokenLabel = token.info.label
        self.token = token
        node = TokenNode(name: config.name, cluster: config.cluster, token: token, pin: pin,
                         storeIdentity: module.path + "|" + token.info.label)
    }
}

/// The key store's view of HSM reachability, bound to the scheduler once it exists (the registry
/// is opened first, because the scheduler's health probe signs with a registry key).
final class SchedulerReachability: Sendable {
    private let scheduler = Mutex<HSMScheduler?>(nil)

    func attach(_ scheduler: HSMScheduler) { self.scheduler.withLock { $0 = scheduler } }

    /// True before the scheduler runs and while a primary node is in rotation. Key changes go to
    /// the primary cluster only: the DR copy is a replica that the next copy would overwrite.
    var anyPrimaryHealthy: Bool {
        guard let scheduler = scheduler.withLock({ $0 }) else { return true }
        return scheduler.backendStatus().contains { $0.healthy && $0.cluster == .primary }
    }
}
