// The HSM-backed key store. Material is generated on the first reachable primary node; the
// registry's metadata is written to every node as a CKO_DATA object next to the keys, so a
// node that clones or shares the partition carries both. Which nodes hold a key is checked, not
// assumed: after generation every node is asked for the CKA_ID.

import PKCS11

/// Key material and metadata on a set of HSM nodes.
public final class TokenKeyStore: KeyMaterialStore {
    /// CKA_APPLICATION of registry metadata objects.
    public static let metadataApplication = "personahsm/keys"

    public let nodes: [TokenNode]

    public init(nodes: [TokenNode]) {
        precondition(!nodes.isEmpty, "a key store needs at least one node")
        self.nodes = nodes
    }

    public func generate(_ spec: KeySpec, id: [UInt8], label: String, allowBackup: Bool) async throws
        -> GeneratedKeyMaterial
    {
        try await generate(spec, id: id, label: label, allowBackup: allowBackup, secretUsage: .encryptDecrypt)
    }

    public func generate(_ spec: KeySpec, id: [UInt8], label: String, allowBackup: Bool,
                         secretUsage: SecretKeyUsage) async throws -> GeneratedKeyMaterial {
        var lastError: (any Error)?
        for node in nodes.sorted(by: { ($0.cluster == "primary" ? 0 : 1) < ($1.cluster == "primary" ? 0 : 1) }) {
            do {
                let (spki, raw) = try await node.withSession { session -> ([UInt8]?, [UInt8]?) in
                    let handles = try session.generateKey(spec, options: KeyOptions(
                        id: id, label: label, persistent: true, allowWrapping: allowBackup,
                        secretUsage: secretUsage))
                    guard let publicHandle = handles.publicKey else { return (nil, nil) }
                    let publicKey = try session.publicKey(of: publicHandle)
                    return (publicKey.spkiDER, publicKey.rawEd25519)
                }
                let holders = await holders(of: id, objectClass: spec == .aes256 ? .secretKey : .privateKey)
                return GeneratedKeyMaterial(publicKeySPKI: spki, ed25519Raw: raw, backends: holders)
            } catch {
                lastError = error
            }
        }
        throw KeyRegistryError(.unavailable, "no HSM node could generate the key: \(lastError.map { "\($0)" } ?? "none")")
    }

    /// Nodes on which an object with CKA_ID `id` of `objectClass` exists.
    public func holders(of id: [UInt8], objectClass: ObjectClass) async -> [String] {
        var names: [String] = []
        for node in nodes {
            let found = (try? await node.withSession { session in
                try session.findKey(id: id, objectClass: objectClass) != nil
            }) ?? false
            if found { names.append(node.name) }
        }
        return names
    }

    public func destroy(id: [UInt8]) async throws {
        for node in nodes {
            try await node.withSession { session in
                for object in try session.findObjects([.bytes(.id, id)]) { try session.destroyObject(object) }
            }
        }
    }

    public func loadMetadata() async throws -> [String: [UInt8]] {
        var lastError: (any Error)?
        for node in nodes {
            do {
                return try await node.withSession { session in
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
        var stored = 0
        var lastError: (any Error)?
        for node in nodes {
            do {
                try await node.withSession { session in
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
    }
}
