// `personahsmd --dev`: everything a newcomer needs, made on first run in a project-local folder
// (`.personahsm/`, git-ignored): a SoftHSM2 token store and PIN, a development CA with a server
// certificate and one client certificate per shipped role, a policy and a config file. Later runs
// reuse what exists, so keys and audit history survive restarts.

import Custody
import Foundation
import PKCS11
import PersonaServices
import RPCTransport

/// Creates and finds the dev-mode files.
public enum DevEnvironment {
    /// Client identities the dev PKI issues, by role. Three admins so M-of-N quorum can be tried.
    public static let clients: [(file: String, uri: String, role: String)] = [
        ("admin", "spiffe://personahsm.dev/role/admin", "admin"),
        ("admin2", "spiffe://personahsm.dev/role/admin2", "admin"),
        ("admin3", "spiffe://personahsm.dev/role/admin3", "admin"),
        ("issuer", "spiffe://personahsm.dev/role/issuer", "issuer"),
        ("verifier", "spiffe://personahsm.dev/role/verifier", "verifier"),
        ("auditor", "spiffe://personahsm.dev/role/auditor", "auditor"),
    ]

    /// The SoftHSM2 token label of the embedded default.
    public static let tokenLabel = "personahsm-dev"
    /// The SoftHSM2 token that holds the backup and escrow sealing keys (survives a wipe of the
    /// key token).
    public static let vaultTokenLabel = "personahsm-vault"
    /// The SoftHSM2 token on which server instances share idempotency records (left out of the DR
    /// copy: its objects are short-lived).
    public static let stateTokenLabel = "personahsm-state"

    /// Makes whatever is missing under `root` and returns the config path.
    /// - Parameters:
    ///   - listen: RPC address written into a new config.
    ///   - opsListen: ops HTTP address written into a new config.
    public static func prepare(root: String, listen: String = "127.0.0.1:7443",
                               opsListen: String = "127.0.0.1:9464") throws -> String {
        let fm = FileManager.default
        try fm.createDirectory(atPath: root, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let hsm = root + "/hsm"
        try DevToken.prepare(folder: hsm)
        _ = try DevToken.userPIN(folder: hsm)
        try makePKI(root + "/pki")
        let policyPath = root + "/policy.json"
        if !fm.fileExists(atPath: policyPath) {
            let policy = AccessPolicy(roles: AccessPolicy.standardRoles(),
                                      identities: Dictionary(uniqueKeysWithValues: clients.map { ($0.uri, [$0.role]) }))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try encoder.encode(policy).write(to: URL(fileURLWithPath: policyPath))
        }
        let configPath = root + "/personahsmd.json"
        if !fm.fileExists(atPath: configPath) {
            let config = ServerConfig(
                listen: listen, opsListen: opsListen,
                tls: TLSConfig(certificate: "pki/server.pem", privateKey: "pki/server.key", clientCA: "pki/ca.pem",
                               crl: "pki/ca.crl", minimumVersion: "1.3"),
                policy: "policy.json",
                audit: AuditConfig(path: "audit/audit.log", checkpointEvery: 1000, writeTimeoutMillis: 800,
                                   keyName: "audit-checkpoints"),
                backends: topology(root: root),
                replication: ReplicationConfig(method: "softhsm-store-copy", from: "hsm/tokens", to: ["hsm-dr/tokens"]),
                dev: true,
                custody: CustodyConfig(
                    quorum: QuorumSettings(required: 2, approvers: clients.filter { $0.role == "admin" }.map(\.uri)),
                    vault: VaultConfig(module: DevToken.defaultModulePath, token: vaultTokenLabel,
                                       pinFile: "hsm/user.pin", pinEnv: nil)),
                sharedState: SharedStateConfig(module: DevToken.defaultModulePath, token: stateTokenLabel,
                                               pinFile: "hsm/user.pin", pinEnv: nil))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try encoder.encode(config).write(to: URL(fileURLWithPath: configPath))
        }
        try fm.createDirectory(atPath: root + "/audit", withIntermediateDirectories: true)
        try prepareDRStore(root: root)
        return configPath
    }

    /// Primary nodes in the embedded default (they share the `hsm/` SoftHSM2 store, as the nodes
    /// of an HSM cluster share a partition).
    public static let primaryNodes = 3
    /// DR nodes (they share `hsm-dr/`, a copy of the primary store kept current on every change).
    public static let drNodes = 2

    /// The dev topology: 3 primary + 2 DR nodes. One session each: on a small machine the worker
    /// processes of five nodes already outnumber the cores, and routing spreads signing over the
    /// three primary nodes (docs/CONFIG.md, "Topology").
    static func topology(root: String) -> [BackendConfig] {
        let primary = (1...primaryNodes).map { n in
            BackendConfig(name: "primary-\(n)", cluster: "primary", module: DevToken.defaultModulePath, token: tokenLabel,
                          pinFile: "hsm/user.pin", pinEnv: nil, sessions: 1,
                          environment: ["SOFTHSM2_CONF": root + "/hsm/softhsm2.conf"])
        }
        let dr = (1...drNodes).map { n in
            BackendConfig(name: "dr-\(n)", cluster: "dr", module: DevToken.defaultModulePath, token: tokenLabel,
                          pinFile: "hsm/user.pin", pinEnv: nil, sessions: 1,
                          environment: ["SOFTHSM2_CONF": root + "/hsm-dr/softhsm2.conf"])
        }
        return primary + dr
    }

    /// Writes `hsm-dr/softhsm2.conf` (its token folder is filled by the server's replicator at
    /// start: the first copy clones the primary partition).
    static func prepareDRStore(root: String) throws {
        let folder = root + "/hsm-dr"
        let fm = FileManager.default
        try fm.createDirectory(atPath: folder + "/tokens", withIntermediateDirectories: true,
                               attributes: [.posixPermissions: 0o700])
        let conf = folder + "/softhsm2.conf"
        guard !fm.fileExists(atPath: conf) else { return }
        let text = """
            # Written by personahsmd --dev: the DR cluster's SoftHSM2 store, a replica of ../hsm/tokens.
            directories.tokendir = \(folder)/tokens
            objectstore.backend = file
            log.level = ERROR
            slots.removable = false
            slots.mechanisms = ALL
            library.reset_on_fork = true

            """
        try text.write(toFile: conf, atomically: true, encoding: .utf8)
    }

    /// Creates the dev CA, the server certificate (localhost, 127.0.0.1) and one client
    /// certificate per identity, unless the CA exists already. The CA key is not kept: dev
    /// certificates are made once; delete `pki/` to make new ones.
    static func makePKI(_ folder: String) throws {
        let fm = FileManager.default
        guard !fm.fileExists(atPath: folder + "/ca.pem") else { return }
        try fm.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let ca = try CertificateAuthority(commonName: "PersonaHSM dev CA")
        let server = try ca.issue(commonName: "personahsmd", profile: .server(dnsNames: ["localhost"],
                                                                            ipAddresses: ["127.0.0.1"]))
        try write(server.certificatePEM, to: folder + "/server.pem", mode: 0o644)
        try write(server.privateKeyPEM, to: folder + "/server.key", mode: 0o600)
        for client in clients {
            let issued = try ca.issue(commonName: client.file, profile: .client(uri: client.uri))
            try write(issued.certificatePEM, to: folder + "/\(client.file).pem", mode: 0o644)
            try write(issued.privateKeyPEM, to: folder + "/\(client.file).key", mode: 0o600)
        }
        try write(try ca.revocationList(revoking: []), to: folder + "/ca.crl", mode: 0o644)
        // Written last: its presence means the PKI is complete.
        try write(try ca.certificatePEM(), to: folder + "/ca.pem", mode: 0o644)
    }

    static func write(_ bytes: [UInt8], to path: String, mode: Int) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes),
                                             attributes: [.posixPermissions: mode]) else {
            throw ConfigError("cannot write \(path)")
        }
    }
}
