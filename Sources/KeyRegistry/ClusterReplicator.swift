// Replication of new key material from the primary cluster to the disaster-recovery cluster.
// The registry calls the replicator after every change it writes to the HSM (a new key version,
// metadata, a destruction) and before the change is reported done, so a key that a caller has
// seen created is on every node: RPO 0 for keys. How the bytes travel depends on the HSM: a vendor
// cluster clones its partition itself; SoftHSM2 uses ``SoftHSMStoreCopy``. Whatever the method,
// private keys stay encrypted under HSM keys (docs/SECURITY.md, "Replication").

/// Brings the DR cluster's copy of the key store up to date with the primary's.
public protocol ClusterReplicator: Sendable {
    /// Copies every change since the last call. Returns when the DR copy is complete.
    /// - Throws: `KeyRegistryError(.unavailable)` when a target could not be brought up to date.
    func replicate() async throws
    /// Short description for logs and the health report.
    var summary: String { get }
}
