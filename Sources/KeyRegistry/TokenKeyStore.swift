// The HSM-backed key store. Material is generated on the first reachable primary node; the
// registry's metadata is written next to the keys as CKO_DATA objects, so a node that clones or
// shares the partition carries both. Nodes this process reaches as one store (a vendor cluster
// behind one module, a shared SoftHSM2 folder) are written once. After every change the optional
// replicator brings the DR cluster up to date before the call returns (RPO 0). Which nodes hold a
// key is checked, not assumed: after generation every store is asked for the CKA_ID. When the
// scheduler reports no reachable node, changes fail at once instead of waiting on a dead token.

import PKCS11

/// Key material and metadata on a set of HSM nodes.
public final class TokenKeyStore: KeyMaterialStore {
    /// CKA_APPLICATION of registry metadata objects.
    public static let metadataApplication = "personahsm/keys"

    public let nodes: [TokenNode]
    /// Copies changes to the DR cluster (nil: the HSM replicates by itself, or there is no DR).
    public let replicator: (any ClusterReplicator)?
    /// False while no primary HSM node is reachable (degraded mode, or only DR serving): changes
    /// fail fast with UNAVAILABLE instead of waiting on a dead token.
    private let reachable: @Sendable () -> Bool

    public init(nodes: [TokenNode], replicator: (any ClusterReplicator)? = nil,
                reachable: @escaping @Sendable () -> Bool = { true }) {
        precondition(!nodes.isEmpty, "a key store needs at least one node")
        self.nodes = nodes
        self.replicator = replicator
        self.reachable = reachable
    }

    /// One node per store, primary nodes first.
    var stores: [TokenNode] {
        var seen = Set<String>()
        return nodes.sorted { ($0.cluster == "primary" ? 0 : 1) < ($1.cluster == "primary" ? 0 : 1) }
            .filter { seen.insert($0.storeIdentity).inserted }
    }

    func requireReachable() throws {
        guard reachable() else {
            throw KeyRegistryError(.unavailable, "no primary HSM node is reachable; key changes are refused until "
                                   + "one returns (the DR cluster is a read-only replica)", reason: "HSM_UNAVAILABLE")
        }
    }

    private func replicate() async throws {
        guard let replicator else { return }
        do { try await replicator.replicate() } catch {
            throw KeyRegistryError(.unavailable, "change not replicated to the DR cluster (\(replicator.summary)): \(error)",
                                   reason: "REPLICATION_FAILED")
        }
    }

    public func generate(_ spec: KeySpec, id: [UInt8], label: String, allowBackup: Bool) async throws
        -> GeneratedKeyMaterial
    {
        try await generate(spec, id: id, label: label, allowBackup: allowBackup, secretUsage: .encryptDecrypt)
    }

    public func generate(_ spec: KeySpec, id: [UInt8], label: String, allowBackup: Bool,
                         secretUsage: SecretKeyUsage) async throws -> GeneratedKeyMaterial {
        try requireReachable()
        var lastError: (any Error)?
        for node in stores {
            do {
                let (spki, raw) = try await node.withSession { session -> ([UInt8]?, [UInt8]?) in
                    let handles = try session.generateKey(spec, options: KeyOptions(
                        id: id, label: label, persistent: true, allowWrapping: allowBackup,
                        secretUsage: secretUsage))
                    guard let publicHandle = handles.publicKey else { return (nil, nil) }
                    let publicKey = try session.publicKey(of: publicHandle)
                    return (publicKey.spkiDER, publicKey.rawEd25519)
                }
                let holders = try await replicateNewKey(id: id, objectClass: spec == .aes256 ? .secretKey : .privateKey)
                return GeneratedKeyMaterial(publicKeySPKI: spki, ed25519Raw: raw, backends: holders)
            } catch let error as KeyRegistryError where error.reason == "REPLICATION_FAILED" {
                throw error
            } catch {
                lastError = error
            }
        }
        throw KeyRegistryError(.unavailable, "no HSM node could generate the key: \(lastError.map { "\($0)" } ?? "none")")
    }

    /// Copies a key just made on the primary to DR (RPO 0) and returns the nodes that hold it.
    func replicateNewKey(id: [UInt8], objectClass: ObjectClass) async throws -> [String] {
        try await replicate()
        var holders = await holders(of: id, objectClass: objectClass)
        if replicator != nil {
            // The replicator returned only once the DR copy was complete.
            holders += nodes.filter { $0.cluster == "dr" && !holders.contains($0.name) }.map(\.name)
        }
        return holders
    }

    /// Nodes on which an object with CKA_ID `id` of `objectClass` exists (asked once per store).
    public func holders(of id: [UInt8], objectClass: ObjectClass) async -> [String] {
        var names: [String] = []
        for store in stores {
            let found = (try? await store.withSession { session in
                try session.findKey(id: id, objectClass: objectClass) != nil
            }) ?? false
            if found { names += nodes.filter { $0.storeIdentity == store.storeIdentity }.map(\.name) }
        }
        return names
    }

    public func destroy(id: [UInt8]) async throws {
        try requireReachable()
        for store in stores {
            try await store.withSession { session in
                for object in try session.findObjects([.bytes(.id, id)]) { try session.destroyObject(object) }
            }
        }
        try await replicate()
    }

    public func loadMetadata() async throws -> [String: [UInt8]] {
        var lastError: (any Error)?
        for store in stores {
            do {
                return try await store.withSession { session in
                    var blobs: [String: [UInt8]] = [:]
                    for label in try session.dataLabels(application: Self.metadataApplication) {
                        blobs[label] = try session.readData(application: Self.metadataApplication, label: label)
                    }
                    return blobs
                }
            } catch {
                lastError = error
            }
        }
        throw KeyRegistryError(.unavailable, "no HSM node answered: \(lastError.map { "\($0)" } ?? "none")")
    }

    public func storeMetadata(name: String, value: [UInt8]) async throws {
        try requireReachable()
        var stored = 0
        var lastError: (any Error)?
        for store in stores {
            do {
                try await store.withSession { session in
                    _ = try session.storeData(value, application: Self.metadataApplication, label: name)
                }
                stored += 1
            } catch {
                lastError = error
            }
        }
        guard stored > 0 else {
            throw KeyRegistryError(.unavailable, "metadata of \(name) not stored: \(lastError.map { "\($0)" } ?? "")")
        }
        try await replicate()
    }
}
