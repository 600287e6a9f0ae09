// Wiring of key custody at start-up: the quorum ledger lives on the primary cluster's tokens, the
// custodian reads and restores keys on every node and seals bundles in the vault token named by
// `custody.vault`, opened here like a backend (module, token, PIN from a file or the environment).

import Custody
import Foundation
import KeyRegistry
import PersonaServices
import SoftCrypto

extension PersonaHSMServer {
    static func installCustody(config: ServerConfig, backends: [OpenedBackend], registry: KeyRegistry,
                               store: TokenKeyStore, environment: ServiceEnvironment,
                               now: @escaping @Sendable () -> Int64) throws {
        // Custody writes go to the primary cluster, once per store this process reaches (nodes of
        // one cluster share a partition); the DR copy follows through `store`'s replicator.
        var seen = Set<String>()
        let primary = backends.filter { $0.config.cluster == "primary" }.map(\.node)
            .filter { seen.insert($0.storeIdentity).inserted }
        let ledger = config.custody?.quorum.map { QuorumLedger(settings: $0, nodes: primary, now: now) }
        let custodian = try config.custody?.vault.map { vault -> KeyCustodian in
            let opened = try OpenedBackend(config: BackendConfig(
                name: "vault", cluster: "dr", module: vault.module, token: vault.token, pinFile: vault.pinFile,
                pinEnv: vault.pinEnv, sessions: 1), applyEnvironment: false)
            // SoftHSM2 reads SOFTHSM2_CONF once, when the module loads (a backend's `environment`
            // sets it before that): capture it now for partition images.
            let conf = backends.first?.config.environment?["SOFTHSM2_CONF"]
                ?? getenv("SOFTHSM2_CONF").map { String(cString: $0) }
            return KeyCustodian(registry: registry, nodes: primary, vault: BackupVault(node: opened.node),
                                softHSMConfig: conf, store: store, now: now)
        }
        environment.quorum.install(ledger: ledger, custodian: custodian)
        if let policy = FileManager.default.contents(atPath: config.policy) {
            environment.quorum.installedPolicyDigest = SHA256.hash(Array(policy))
        }
    }
}
