// An in-process personahsmd for the end-to-end suites: the real composition root
// (`PersonaHSMServer.start`) on loopback with real TLS, a test PKI made by RPCTransport's
// CertificateAuthority, and a token of the process's one SoftHSM2 fixture (TestHSM), one token
// label per suite so concurrently running suites never see each other's keys. Running in process
// is what lets a test drive the registry's clock and wrap the audit log's file sink.

import AuditLog
import Foundation
import PKCS11
import PersonaClient
import PersonaProtos
import PersonaServer
import PersonaServices
import Observability
import RPCTransport
import Synchronization
import TestSupport

/// Milliseconds since the epoch that a test moves forward by hand.
final class SimulatedClock: Sendable {
    private let millis: Atomic<Int64>

    init(startMillis: Int64 = Int64(Date().timeIntervalSince1970 * 1000)) {
        millis = Atomic(startMillis)
    }

    var now: Int64 { millis.load(ordering: .acquiring) }

    func advance(days: Double) {
        millis.add(Int64(days * 86_400_000), ordering: .acquiringAndReleasing)
    }
}

/// A running server plus the files a client needs to reach it.
final class InProcessServer: Sendable {
    /// Client roles the test PKI issues certificates for (the policy's standard roles).
    static let roles = ["admin", "issuer", "verifier", "auditor"]
    /// Further admin identities (for M-of-N quorum tests): certificates named after them, role admin.
    static let extraAdmins = ["admin2", "admin3"]

    let server: PersonaHSMServer
    let root: String
    let clock: SimulatedClock
    /// Connections handed out by ``connect(as:timeout:)``, closed by ``shutdown()``.
    private let connections = Mutex<[PersonaConnection]>([])

    var auditPath: String { server.config.audit.path }
    var endpoint: String { "127.0.0.1:\(server.port)" }

    static func identity(_ role: String) -> String { "spiffe://personahsm.test/role/\(role)" }

    private init(server: PersonaHSMServer, root: String, clock: SimulatedClock) {
        self.server = server
        self.root = root
        self.clock = clock
    }

    /// Starts a server, makes sure `keys` exist (the token keeps them between servers), runs
    /// `body`, and always shuts the server down afterwards: SoftHSM2 must be idle when the test
    /// process exits and TestHSM removes its folder.
    static func with<T>(tokenLabel: String, keys: [(String, PersonaProtos.Algorithm)] = [], maxBatchRequest: Int = 64,
                        auditFolder: String? = nil, writeTimeoutMillis: Int = 1000,
                        auditSinkWrapper: (@Sendable (any FileSink) -> any FileSink)? = nil, dev: Bool = true,
                        _ body: (InProcessServer) async throws -> T) async throws -> T {
        let server = try await start(tokenLabel: tokenLabel, auditFolder: auditFolder,
                                     writeTimeoutMillis: writeTimeoutMillis, maxBatchRequest: maxBatchRequest,
                                     auditSinkWrapper: auditSinkWrapper, dev: dev)
        do {
            let admin = try server.connect(as: "admin")
            for (name, algorithm) in keys where !server.server.registry.list().contains(where: { $0.name == name }) {
                _ = try await admin.keys.createKey(CreateKeyRequest(name: name, algorithm: algorithm))
            }
            let result = try await body(server)
            await server.shutdown()
            return result
        } catch {
            await server.shutdown()
            throw error
        }
    }

    /// Starts a server on the TestHSM token `tokenLabel`. The caller must ``shutdown()`` it.
    /// - Parameters:
    ///   - auditFolder: where the audit log goes (default: under the server's temp root).
    ///   - auditSinkWrapper: wraps the audit log's file sink (fault injection).
    ///   - dev: dev mode (plaintext key import, short destruction waits).
    static func start(tokenLabel: String, auditFolder: String? = nil, writeTimeoutMillis: Int = 1000,
                      maxBatchRequest: Int = 64,
                      auditSinkWrapper: (@Sendable (any FileSink) -> any FileSink)? = nil,
                      dev: Bool = true, custody: CustodyConfig? = nil,
                      sharedState: SharedStateConfig? = nil) async throws -> InProcessServer {
        _ = try TestHSM.token(tokenLabel)
        _ = try TestHSM.pin()
        let root = NSTemporaryDirectory() + "personahsm-e2e-\(tokenLabel)-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: root + "/pki", withIntermediateDirectories: true)
        try writePKI(root + "/pki")
        let policy = AccessPolicy(roles: AccessPolicy.standardRoles(),
                                  identities: Dictionary(uniqueKeysWithValues: roles.map { (identity($0), [$0]) }
                                      + extraAdmins.map { (identity($0), ["admin"]) }))
        try JSONEncoder().encode(policy).write(to: URL(fileURLWithPath: root + "/policy.json"))
        var tuning = TuningConfig()
        tuning.maxBatchRequest = maxBatchRequest
        let audit = auditFolder ?? root + "/audit"
        try FileManager.default.createDirectory(atPath: audit, withIntermediateDirectories: true)
        let config = ServerConfig(
            listen: "127.0.0.1:0", opsListen: "127.0.0.1:0",
            tls: TLSConfig(certificate: root + "/pki/server.pem", privateKey: root + "/pki/server.key",
                           clientCA: root + "/pki/ca.pem", crl: nil, minimumVersion: "1.3"),
            policy: root + "/policy.json",
            audit: AuditConfig(path: audit + "/audit.log", checkpointEvery: 1000,
                               writeTimeoutMillis: writeTimeoutMillis, keyName: "audit-checkpoints"),
            backends: [BackendConfig(name: "softhsm-test", cluster: "primary", module: DevToken.defaultModulePath,
                                     token: tokenLabel, pinFile: TestHSM.folder + "/user.pin", pinEnv: nil,
                                     sessions: 2)],
            tuning: tuning, logLevel: "error", dev: dev, custody: custody, sharedState: sharedState)
        try config.validate()
        let clock = SimulatedClock()
        let server = try await PersonaHSMServer.start(
            config: config, logger: JSONLogger(component: "e2e-\(tokenLabel)", minimum: .error),
            maintenanceInterval: .seconds(3600), now: { clock.now }, auditSinkWrapper: auditSinkWrapper)
        return InProcessServer(server: server, root: root, clock: clock)
    }

    /// A connection authenticated as `role` (one of ``roles``).
    func connect(as role: String, timeout: Duration = .seconds(20)) throws -> PersonaConnection {
        let connection = try PersonaConnection(ClientConfiguration(
            endpoints: [endpoint], certificate: root + "/pki/\(role).pem", privateKey: root + "/pki/\(role).key",
            caCertificate: root + "/pki/ca.pem", defaultTimeout: timeout))
        connections.withLock { $0.append(connection) }
        return connection
    }

    /// Closes every client connection, then drains and stops the server.
    func shutdown() async {
        for connection in connections.withLock({ $0 }) { await connection.close() }
        await server.shutdown(drainTimeout: .seconds(2))
    }

    private static func writePKI(_ folder: String) throws {
        let ca = try CertificateAuthority(commonName: "PersonaHSM e2e CA")
        let server = try ca.issue(commonName: "personahsmd", profile: .server(dnsNames: ["localhost"],
                                                                            ipAddresses: ["127.0.0.1"]))
        try Data(server.certificatePEM).write(to: URL(fileURLWithPath: folder + "/server.pem"))
        try Data(server.privateKeyPEM).write(to: URL(fileURLWithPath: folder + "/server.key"))
        for role in roles + extraAdmins {
            let issued = try ca.issue(commonName: role, profile: .client(uri: identity(role)))
            try Data(issued.certificatePEM).write(to: URL(fileURLWithPath: folder + "/\(role).pem"))
            try Data(issued.privateKeyPEM).write(to: URL(fileURLWithPath: folder + "/\(role).key"))
        }
        try Data(try ca.certificatePEM()).write(to: URL(fileURLWithPath: folder + "/ca.pem"))
    }
}
