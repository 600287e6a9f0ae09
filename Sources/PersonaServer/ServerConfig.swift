// personahsmd's configuration: one JSON file (docs/CONFIG.md, example in
// Examples/personahsmd.json) plus PERSONAHSM_* environment overrides. Loaded once at start
// and passed down as data. Secrets (PINs) are never in the file itself: only the name of a file
// or environment variable that holds them.

import Foundation

/// One HSM node: a PKCS#11 module plus a token on it.
public struct BackendConfig: Codable, Hashable, Sendable {
    public var name: String
    /// `primary` or `dr`.
    public var cluster: String
    /// Path of the PKCS#11 module (.so).
    public var module: String
    /// Token label, or an RFC 7512 `pkcs11:` URI.
    public var token: String
    /// File holding the user PIN (preferred) ...
    public var pinFile: String?
    /// ... or the environment variable holding it.
    public var pinEnv: String?
    /// Sessions (= worker threads or processes) for this node.
    public var sessions: Int
    /// Environment for the module (e.g. SOFTHSM2_CONF), applied before it is loaded.
    public var environment: [String: String]?
    /// `processes` (default when `personahsm-hsm-worker` is installed next to the daemon): one
    /// worker process per session, which gets past modules that serialise inside a process (SoftHSM2
    /// does); `threads`: sessions on threads of the daemon.
    public var workers: String?

    enum CodingKeys: String, CodingKey {
        case name, cluster, module, token, sessions, environment, workers
        case pinFile = "pin_file", pinEnv = "pin_env"
    }

    public init(name: String, cluster: String, module: String, token: String, pinFile: String?, pinEnv: String?,
                sessions: Int, environment: [String: String]? = nil) {
        self.name = name
        self.cluster = cluster
        self.module = module
        self.token = token
        self.pinFile = pinFile
        self.pinEnv = pinEnv
        self.sessions = sessions
        self.environment = environment
    }
}

/// How new key material reaches the DR cluster (docs/CONFIG.md, docs/SECURITY.md "Replication").
/// Absent: the HSM replicates by itself (a vendor cluster) or there is no DR cluster.
public struct ReplicationConfig: Codable, Hashable, Sendable {
    /// `softhsm-store-copy`: mirror the primary SoftHSM2 token folder's encrypted object files.
    public var method: String
    /// The primary cluster's SoftHSM2 `directories.tokendir`.
    public var from: String
    /// Each DR cluster's `directories.tokendir`.
    public var to: [String]

    public init(method: String, from: String, to: [String]) {
        self.method = method
        self.from = from
        self.to = to
    }
}

/// TLS material for the RPC port.
public struct TLSConfig: Codable, Hashable, Sendable {
    public var certificate: String
    public var privateKey: String
    /// CA bundle that client certificates must chain to.
    public var clientCA: String
    public var crl: String?
    /// "1.3" (default) or "1.2".
    public var minimumVersion: String?

    enum CodingKeys: String, CodingKey {
        case certificate, crl
        case privateKey = "private_key", clientCA = "client_ca", minimumVersion = "minimum_version"
    }

    public init(certificate: String, privateKey: String, clientCA: String, crl: String?, minimumVersion: String?) {
        self.certificate = certificate
        self.privateKey = privateKey
        self.clientCA = clientCA
        self.crl = crl
        self.minimumVersion = minimumVersion
    }
}

/// Audit log settings.
public struct AuditConfig: Codable, Hashable, Sendable {
    public var path: String
    /// Records between signed checkpoints.
    public var checkpointEvery: Int
    /// Longest wait for a durable write before calls fail closed.
    public var writeTimeoutMillis: Int
    /// Name of the HSM key that signs checkpoints (created on first start).
    public var keyName: String

    enum CodingKeys: String, CodingKey {
        case path
        case checkpointEvery = "checkpoint_every", writeTimeoutMillis = "write_timeout_ms", keyName = "key_name"
    }

    public init(path: String, checkpointEvery: Int, writeTimeoutMillis: Int, keyName: String) {
        self.path = path
        self.checkpointEvery = checkpointEvery
        self.writeTimeoutMillis = writeTimeoutMillis
        self.keyName = keyName
    }
}

/// Scheduler, key life-cycle and RPC limits.
public struct TuningConfig: Codable, Hashable, Sendable {
    public var batchSize: Int = 64
    public var queueCapacity: Int = 8192
    public var maxBatchRequest: Int = 1024
    public var rotationDays: Double = 90
    public var destructionWaitDays: Double = 30
    public var idempotencyWindowSeconds: Double = 86_400
    /// Seconds a shared idempotency record is honoured by the other instances (a few times the
    /// longest client deadline: retries after a failover arrive within it).
    public var sharedIdempotencyWindowSeconds: Double = 120
    /// How long first results gather before they are written to the shared-state token as one object.
    public var sharedIdempotencyFlushMillis: Int = 2
    /// Longest wait for the shared-state token (a lookup or a record write) before a keyed call goes
    /// on as if it had no shared records.
    public var sharedIdempotencyTimeoutMillis: Int = 1000
    public var maxConnections: Int = 4096
    public var maxStreamsPerConnection: Int = 1024
    public var maxFrameBytes: Int = 4 << 20
    /// An HSM call (or worker batch round trip) longer than this takes its node out of rotation
    /// and moves its work elsewhere: the main term of the RTO of a node that stops answering.
    public var hangTimeoutMillis: Int = 500
    /// How often node health is checked (and unhealthy nodes probed for their return).
    public var healthIntervalMillis: Int = 100

    enum CodingKeys: String, CodingKey {
        case batchSize = "batch_size", queueCapacity = "queue_capacity", maxBatchRequest = "max_batch_request"
        case rotationDays = "rotation_days", destructionWaitDays = "destruction_wait_days"
        case idempotencyWindowSeconds = "idempotency_window_seconds", maxConnections = "max_connections"
        case sharedIdempotencyWindowSeconds = "shared_idempotency_window_seconds"
        case sharedIdempotencyFlushMillis = "shared_idempotency_flush_ms"
        case sharedIdempotencyTimeoutMillis = "shared_idempotency_timeout_ms"
        case maxStreamsPerConnection = "max_streams_per_connection", maxFrameBytes = "max_frame_bytes"
        case hangTimeoutMillis = "hang_timeout_ms", healthIntervalMillis = "health_interval_ms"
    }

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = TuningConfig()
        batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? d.batchSize
        queueCapacity = try c.decodeIfPresent(Int.self, forKey: .queueCapacity) ?? d.queueCapacity
        maxBatchRequest = try c.decodeIfPresent(Int.self, forKey: .maxBatchRequest) ?? d.maxBatchRequest
        rotationDays = try c.decodeIfPresent(Double.self, forKey: .rotationDays) ?? d.rotationDays
        destructionWaitDays = try c.decodeIfPresent(Double.self, forKey: .destructionWaitDays) ?? d.destructionWaitDays
        idempotencyWindowSeconds = try c.decodeIfPresent(Double.self, forKey: .idempotencyWindowSeconds)
            ?? d.idempotencyWindowSeconds
        sharedIdempotencyWindowSeconds = try c.decodeIfPresent(Double.self, forKey: .sharedIdempotencyWindowSeconds)
            ?? d.sharedIdempotencyWindowSeconds
        sharedIdempotencyFlushMillis = try c.decodeIfPresent(Int.self, forKey: .sharedIdempotencyFlushMillis)
            ?? d.sharedIdempotencyFlushMillis
        sharedIdempotencyTimeoutMillis = try c.decodeIfPresent(Int.self, forKey: .sharedIdempotencyTimeoutMillis)
            ?? d.sharedIdempotencyTimeoutMillis
        maxConnections = try c.decodeIfPresent(Int.self, forKey: .maxConnections) ?? d.maxConnections
        maxStreamsPerConnection = try c.decodeIfPresent(Int.self, forKey: .maxStreamsPerConnection)
            ?? d.maxStreamsPerConnection
        maxFrameBytes = try c.decodeIfPresent(Int.self, forKey: .maxFrameBytes) ?? d.maxFrameBytes
        hangTimeoutMillis = try c.decodeIfPresent(Int.self, forKey: .hangTimeoutMillis) ?? d.hangTimeoutMillis
        healthIntervalMillis = try c.decodeIfPresent(Int.self, forKey: .healthIntervalMillis) ?? d.healthIntervalMillis
    }
}

/// Everything personahsmd needs to start.
public struct ServerConfig: Codable, Hashable, Sendable {
    /// RPC address, `host:port`.
    public var listen: String
    /// Ops HTTP address (`/metrics`, `/healthz`, `/readyz`), loopback by default.
    public var opsListen: String
    public var tls: TLSConfig
    public var policy: String
    public var audit: AuditConfig
    public var backends: [BackendConfig]
    /// DR replication of key material; nil when the HSM cluster replicates itself.
    public var replication: ReplicationConfig?
    public var tuning: TuningConfig
    /// `debug`, `info`, `warning` or `error`.
    public var logLevel: String
    /// Dev mode allows plaintext key import and short destruction waits.
    public var dev: Bool
    /// M-of-N quorum and backup vault (docs/CONFIG.md, docs/SECURITY.md).
    public var custody: CustodyConfig?
    /// The token for state the instances share (docs/CONFIG.md); nil: per-instance idempotency.
    public var sharedState: SharedStateConfig?

    enum CodingKeys: String, CodingKey {
        case listen, tls, policy, audit, backends, tuning, dev, replication, custody
        case opsListen = "ops_listen", logLevel = "log_level", sharedState = "shared_state"
    }

    public init(listen: String, opsListen: String, tls: TLSConfig, policy: String, audit: AuditConfig,
                backends: [BackendConfig], replication: ReplicationConfig? = nil, tuning: TuningConfig = TuningConfig(),
                logLevel: String = "info", dev: Bool = false, custody: CustodyConfig? = nil,
                sharedState: SharedStateConfig? = nil) {
        self.sharedState = sharedState
        self.replication = replication
        self.listen = listen
        self.opsListen = opsListen
        self.tls = tls
        self.policy = policy
        self.audit = audit
        self.backends = backends
        self.tuning = tuning
        self.logLevel = logLevel
        self.dev = dev
        self.custody = custody
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        listen = try c.decode(String.self, forKey: .listen)
        opsListen = try c.decodeIfPresent(String.self, forKey: .opsListen) ?? "127.0.0.1:9464"
        tls = try c.decode(TLSConfig.self, forKey: .tls)
        policy = try c.decode(String.self, forKey: .policy)
        audit = try c.decode(AuditConfig.self, forKey: .audit)
        backends = try c.decode([BackendConfig].self, forKey: .backends)
        replication = try c.decodeIfPresent(ReplicationConfig.self, forKey: .replication)
        tuning = try c.decodeIfPresent(TuningConfig.self, forKey: .tuning) ?? TuningConfig()
        logLevel = try c.decodeIfPresent(String.self, forKey: .logLevel) ?? "info"
        dev = try c.decodeIfPresent(Bool.self, forKey: .dev) ?? false
        custody = try c.decodeIfPresent(CustodyConfig.self, forKey: .custody)
        sharedState = try c.decodeIfPresent(SharedStateConfig.self, forKey: .sharedState)
    }

    /// Reads the file, applies environment overrides, resolves relative paths against the
    /// file's folder and validates.
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws -> ServerConfig
    {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError("cannot read config file \(path)")
        }
        var config: ServerConfig
        do { config = try JSONDecoder().decode(ServerConfig.self, from: data) } catch {
            throw ConfigError("invalid config file \(path): \(error)")
        }
        config.applyOverrides(environment)
        config.resolvePaths(relativeTo: URL(fileURLWithPath: path).deletingLastPathComponent().path)
        try config.validate()
        return config
    }

    /// PERSONAHSM_LISTEN, PERSONAHSM_OPS_LISTEN, PERSONAHSM_LOG_LEVEL, PERSONAHSM_AUDIT_PATH,
    /// PERSONAHSM_POLICY, PERSONAHSM_BATCH_SIZE override the file.
    public mutating func applyOverrides(_ environment: [String: String]) {
        if let value = environment["PERSONAHSM_LISTEN"] { listen = value }
        if let value = environment["PERSONAHSM_OPS_LISTEN"] { opsListen = value }
        if let value = environment["PERSONAHSM_LOG_LEVEL"] { logLevel = value }
        if let value = environment["PERSONAHSM_AUDIT_PATH"] { audit.path = value }
        if let value = environment["PERSONAHSM_POLICY"] { policy = value }
        if let value = environment["PERSONAHSM_BATCH_SIZE"].flatMap(Int.init) { tuning.batchSize = value }
    }

    mutating func resolvePaths(relativeTo base: String) {
        func resolve(_ path: String) -> String { path.hasPrefix("/") ? path : base + "/" + path }
        tls.certificate = resolve(tls.certificate)
        tls.privateKey = resolve(tls.privateKey)
        tls.clientCA = resolve(tls.clientCA)
        tls.crl = tls.crl.map(resolve)
        policy = resolve(policy)
        audit.path = resolve(audit.path)
        if var copy = replication {
            copy.from = resolve(copy.from)
            copy.to = copy.to.map(resolve)
            replication = copy
        }
        for index in backends.indices {
            backends[index].pinFile = backends[index].pinFile.map(resolve)
            backends[index].module = resolve(backends[index].module)
        }
        custody?.resolvePaths(resolve)
        sharedState?.resolvePaths(resolve)
    }

    /// Throws a ``ConfigError`` naming the first inconsistent setting.
    public func validate() throws {
        guard HostPort(listen) != nil else { throw ConfigError("listen must be host:port, not \(listen)") }
        guard HostPort(opsListen) != nil else { throw ConfigError("ops_listen must be host:port, not \(opsListen)") }
        guard !backends.isEmpty else { throw ConfigError("at least one backend is required") }
        var names = Set<String>()
        for backend in backends {
            guard names.insert(backend.name).inserted else { throw ConfigError("duplicate backend \(backend.name)") }
            guard ["primary", "dr"].contains(backend.cluster) else {
                throw ConfigError("backend \(backend.name): cluster must be primary or dr")
            }
            guard backend.pinFile != nil || backend.pinEnv != nil else {
                throw ConfigError("backend \(backend.name): set pin_file or pin_env (PINs never go on the command line)")
            }
            guard (1...256).contains(backend.sessions) else {
                throw ConfigError("backend \(backend.name): sessions must be 1...256")
            }
            guard backend.workers == nil || ["threads", "processes"].contains(backend.workers!) else {
                throw ConfigError("backend \(backend.name): workers must be threads or processes")
            }
        }
        guard backends.contains(where: { $0.cluster == "primary" }) else {
            throw ConfigError("at least one backend must be in the primary cluster")
        }
        if let replication {
            guard replication.method == "softhsm-store-copy" else {
                throw ConfigError("replication.method must be softhsm-store-copy")
            }
            guard !replication.to.isEmpty, !replication.to.contains(replication.from) else {
                throw ConfigError("replication.to must name DR token folders other than replication.from")
            }
        }
        guard ["debug", "info", "warning", "error"].contains(logLevel) else {
            throw ConfigError("log_level must be debug, info, warning or error")
        }
        guard (1...4096).contains(tuning.batchSize) else { throw ConfigError("tuning.batch_size must be 1...4096") }
        guard (50...60_000).contains(tuning.hangTimeoutMillis) else { throw ConfigError("tuning.hang_timeout_ms must be 50...60000") }
        guard (10...10_000).contains(tuning.healthIntervalMillis) else {
            throw ConfigError("tuning.health_interval_ms must be 10...10000")
        }
        guard audit.checkpointEvery > 0 else { throw ConfigError("audit.checkpoint_every must be > 0") }
        guard audit.writeTimeoutMillis > 0 else { throw ConfigError("audit.write_timeout_ms must be > 0") }
        try custody?.validate()
        try sharedState?.validate(section: "shared_state")
        guard tuning.sharedIdempotencyWindowSeconds > 0 else {
            throw ConfigError("tuning.shared_idempotency_window_seconds must be > 0")
        }
        guard (0...1000).contains(tuning.sharedIdempotencyFlushMillis) else {
            throw ConfigError("tuning.shared_idempotency_flush_ms must be 0...1000")
        }
        guard (10...60_000).contains(tuning.sharedIdempotencyTimeoutMillis) else {
            throw ConfigError("tuning.shared_idempotency_timeout_ms must be 10...60000")
        }
    }
}

/// `host:port` split, with the port checked.
public struct HostPort: Hashable, Sendable {
    public var host: String
    public var port: UInt16

    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else {
            return nil
        }
        host = String(text[..<colon])
        self.port = port
        guard !host.isEmpty else { return nil }
    }
}

/// A config file that cannot be used.
public struct ConfigError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
