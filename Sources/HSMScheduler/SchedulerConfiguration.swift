// Tuning of the scheduler and description of its backends, as plain data loaded once and passed in.

import PKCS11

/// How a backend runs its sessions.
public enum WorkerMode: Sendable, Hashable {
    /// One thread per session inside this process.
    case threads
    /// One helper process per session (`personahsm-hsm-worker` at `executable`), talking over a
    /// pipe with batched binary frames. Gets past modules that serialise inside one process.
    case processes(executable: String)
}

/// The cluster an HSM node belongs to. Routing prefers healthy primary nodes; disaster-recovery
/// nodes take traffic only for keys that no healthy primary node holds.
public enum BackendCluster: String, Sendable, Hashable {
    case primary
    case dr
}

/// One HSM node: a token in a module.
public struct BackendConfiguration: Sendable {
    /// Name in logs, errors and health reports.
    public var name: String
    /// Path of the PKCS#11 module.
    public var modulePath: String
    /// Label of the token.
    public var tokenLabel: String
    /// The user PIN (read from a file or the environment by the caller).
    public var pin: PIN
    /// Sessions (= workers) on this backend; capped by the token's ulMaxSessionCount.
    public var sessions: Int
    public var mode: WorkerMode
    /// A key the health check signs with (Ed25519 or P-256); nil checks the session only.
    public var healthKey: KeyReference?
    /// Environment for worker processes (e.g. SOFTHSM2_CONF, P11FAULT_CONFIG).
    public var workerEnvironment: [String: String]
    /// Primary or disaster-recovery cluster.
    public var cluster: BackendCluster

    public init(name: String, modulePath: String, tokenLabel: String, pin: PIN, sessions: Int = 2,
                mode: WorkerMode = .threads, healthKey: KeyReference? = nil, workerEnvironment: [String: String] = [:],
                cluster: BackendCluster = .primary) {
        self.cluster = cluster
        self.name = name
        self.modulePath = modulePath
        self.tokenLabel = tokenLabel
        self.pin = pin
        self.sessions = sessions
        self.mode = mode
        self.healthKey = healthKey
        self.workerEnvironment = workerEnvironment
    }
}

/// Scheduler-wide tuning.
public struct SchedulerConfiguration: Sendable {
    /// Most requests a worker takes in one go (B).
    public var batchSize: Int = 32
    /// Queued requests per backend before `queueFull`.
    public var queueCapacity: Int = 8192
    /// Queued requests one client may hold per backend, so one batch job cannot fill a queue.
    public var perClientQueueLimit: Int = 4096
    /// Deadline applied when the caller gives none.
    public var defaultTimeout: Duration = .seconds(10)
    /// How often health checks run.
    public var healthInterval: Duration = .milliseconds(100)
    /// One HSM call (in-process) or one batch round trip (worker process) taking longer than this
    /// marks the backend hung: its work moves elsewhere.
    public var hangTimeout: Duration = .seconds(1)
    /// A health probe slower than this counts as a failure.
    public var probeTimeout: Duration = .milliseconds(400)
    /// Time a probe may take to start its runner (a worker process) before it counts as failed.
    public var probeStartTimeout: Duration = .seconds(10)
    /// Consecutive failed probes that take a healthy backend out of rotation (failures on the
    /// request path take it out at once).
    public var probeFailuresToEject: Int = 2
    /// Healthy backends are probed (latency) every this often.
    public var healthyProbeInterval: Duration = .seconds(1)
    /// An HSM worker process returns the outcomes it has once the oldest of them waited this long,
    /// instead of only at the end of the batch: bounds what a request pays for the rest of its
    /// batch (a batch of 64 Ed25519 signatures takes ~25 ms in SoftHSM2, ~64 ms on a 1 ms network
    /// HSM session). Each early return costs one pipe write and one wake-up of the worker thread.
    /// Zero returns whole batches only.
    public var outcomeFlushInterval: Duration = .milliseconds(2)
    /// Called on the worker thread for every operation a backend completed (metrics); keep it cheap.
    public var completionObserver: (@Sendable (HSMCompletion) -> Void)?

    public init() {}
}
