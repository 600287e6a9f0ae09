// Backup, restore and escrow of keys. A backup reads the registry metadata of the chosen keys
// and the source partition's encrypted object files, and has the vault seal them; a restore has
// the vault open the bundle (any change to it fails here, before anything is written), puts the
// partition's missing object files back, keeps only the objects of the keys being restored, then
// writes their metadata and reloads the registry. No key value is ever in the clear outside a
// token: the files carry values encrypted under the token key, and the bundle is sealed again
// under the vault key.

import Foundation
import KeyRegistry
import PKCS11

/// What a restore did.
public struct RestoreOutcome: Sendable, Hashable {
    public var restored: [String]
    public var skipped: [String]
}

/// Makes and restores backup and escrow bundles.
public final class KeyCustodian: Sendable {
    let registry: KeyRegistry
    let nodes: [TokenNode]
    let vault: BackupVault
    let now: @Sendable () -> Int64
    /// The SoftHSM2 config (SOFTHSM2_CONF) the nodes' module was loaded with, for partition images.
    let softHSMConfig: String?
    /// Where restored metadata is written: the server's store, so the DR copy follows (RPO 0).
    let store: TokenKeyStore

    /// - Parameters:
    ///   - nodes: the HSM nodes a backup reads and a restore writes (the primary cluster, one node
    ///     per store this process reaches).
    ///   - vault: where the sealing keys live.
    ///   - softHSMConfig: SOFTHSM2_CONF of the nodes' module (nil: not SoftHSM2; partition images
    ///     are then refused).
    ///   - store: the key store whose writes replicate (nil: one over `nodes`, no replication).
    public init(registry: KeyRegistry, nodes: [TokenNode], vault: BackupVault, softHSMConfig: String?,
                store: TokenKeyStore? = nil, now: @escaping @Sendable () -> Int64) {
        self.softHSMConfig = softHSMConfig
        self.store = store ?? TokenKeyStore(nodes: nodes)
        self.registry = registry
        self.nodes = nodes.sorted { ($0.cluster == "primary" ? 0 : 1) < ($1.cluster == "primary" ? 0 : 1) }
        self.vault = vault
        self.now = now
    }

    /// Whether `name` is one of the nodes a restore can target.
    public func hasNode(_ name: String) -> Bool { nodes.contains { $0.name == name } }

    /// The records a backup of `names` covers: every key that allows backup when `names` is empty.
    /// - Throws: NOT_FOUND for an unknown name, FAILED_PRECONDITION for a key created without
    ///   `allow_backup`.
    public func records(for names: [String]) throws -> [KeyRecord] {
        if names.isEmpty {
            let all = registry.list().filter(\.allowBackup)
            guard !all.isEmpty else {
                throw CustodyError(.failedPrecondition, "no key allows backup (create keys with allow_backup)",
                                   reason: "NOTHING_TO_BACK_UP")
            }
            return all
        }
        return try Set(names).sorted().map { name in
            guard let record = try? registry.key(name) else {
                throw CustodyError(.notFound, "key \(name) not found", reason: "KEY_NOT_FOUND")
            }
            guard record.allowBackup else {
                throw CustodyError(.failedPrecondition, "key \(name) was created without allow_backup and may not "
                                   + "leave its HSM", reason: "BACKUP_NOT_ALLOWED")
            }
            return record
        }
    }

    /// Writes a bundle of `names` (see ``records(for:)``). Keys whose purpose is all `derive` (the
    /// per-credential master keys) make an escrow bundle sealed under the escrow key.
    public func backup(keyNames names: [String]) async throws -> BackupBundle {
        let records = try records(for: names)
        let escrow = records.allSatisfy { $0.purpose == .derive }
        let wanted = records.flatMap(\.liveMaterial)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var metadata: [String: Data] = [:]
        for record in records { metadata[record.name] = try encoder.encode(record) }
        var lastError: (any Error)?
        let conf = softHSMConfig
        let vaultKey = try await vault.transportPublicKey()
        for node in nodes {
            let image: (serial: String, files: [String: Data], wrapped: WrappedMaterial?)
            do {
                image = try await node.withSession { session in
                    for (id, objectClass) in wanted where try session.findKey(id: id, objectClass: objectClass) == nil {
                        throw CustodyError(.failedPrecondition, "node \(node.name) lacks material \(id.hexString)",
                                           reason: "MATERIAL_MISSING")
                    }
                    let serial = try session.module.tokenInfo(slot: session.slot).serialNumber
                    let wrapped = try Self.wrapMaterial(wanted, session: session, vaultModulus: vaultKey.modulus,
                                                        vaultExponent: vaultKey.exponent)
                    do {
                        let folder = try SoftHSMPartition.folder(serial: serial, conf: conf)
                        return (serial, try SoftHSMPartition.objectFiles(in: folder), wrapped)
                    } catch let error as CustodyError where error.reason == "PARTITION_UNSUPPORTED" {
                        // Not SoftHSM2: wrapped keys only, and every key must have been wrapped.
                        let covered = Set((wrapped?.entries ?? []).map { Array($0.id) })
                        guard wanted.allSatisfy({ covered.contains($0.0) }) else {
                            throw CustodyError(.failedPrecondition, "some keys cannot be wrapped by this token and "
                                               + "there is no partition image to carry them; back them up with the HSM "
                                               + "vendor's cluster backup", reason: "NOT_WRAPPABLE", cause: error)
                        }
                        return (serial, [:], wrapped)
                    }
                }
            } catch let error as CustodyError where error.reason == "MATERIAL_MISSING" {
                lastError = error
                continue
            } catch let error as CustodyError {
                throw error
            } catch {
                lastError = error
                continue
            }
            let header = BundleHeader(kind: escrow ? "escrow" : "backup", createdMillis: now(), sourceNode: node.name,
                                      partitionSerial: image.serial,
                                      sealKeyLabel: escrow ? BackupVault.escrowKeyLabel : BackupVault.backupKeyLabel,
                                      keys: records.map(\.name))
            let aad = try BackupBundle.associatedData(for: header)
            let payload = Array(try encoder.encode(BundlePayload(metadata: metadata, partitionFiles: image.files,
                                                                   wrapped: image.wrapped)))
            let sealed = try await vault.seal(payload, aad: aad, keyLabel: header.sealKeyLabel)
            return BackupBundle(header: header, sealed: sealed, associatedData: aad)
        }
        throw CustodyError(.unavailable, "no HSM node could be backed up", reason: "HSM_UNAVAILABLE", cause: lastError)
    }

    /// Restores `bundle` into `backend` (nil: the first primary node). Keys whose name the registry
    /// already holds with all material present are skipped.
    /// - Throws: DATA_LOSS when the bundle does not authenticate (nothing is written then),
    ///   FAILED_PRECONDITION when the target is not the bundle's partition.
    public func restore(_ bundle: BackupBundle, backend: String?) async throws -> RestoreOutcome {
        guard let target = backend.map({ name in nodes.first { $0.name == name } })
            ?? nodes.first(where: { $0.cluster == "primary" }) else {
            throw CustodyError(.notFound, "no backend \(backend ?? "")", reason: "BACKEND_NOT_FOUND")
        }
        let plaintext = try await vault.open(bundle.sealed, aad: bundle.associatedData, keyLabel: bundle.header.sealKeyLabel)
        let payload: BundlePayload
        do { payload = try JSONDecoder().decode(BundlePayload.self, from: Data(plaintext)) } catch {
            throw CustodyError(.invalidArgument, "the bundle's payload is unreadable", reason: "NOT_A_BUNDLE", cause: error)
        }
        var records: [KeyRecord] = []
        for (name, blob) in payload.metadata.sorted(by: { $0.key < $1.key }) {
            guard let record = try? JSONDecoder().decode(KeyRecord.self, from: blob), record.name == name else {
                throw CustodyError(.invalidArgument, "metadata of \(name) in the bundle is unreadable", reason: "NOT_A_BUNDLE")
            }
            records.append(record)
        }
        let decision = try await plan(records, on: target)
        let serial = bundle.header.partitionSerial
        let wanted = decision.restore.flatMap(\.liveMaterial)
        let files = payload.partitionFiles
        let conf = softHSMConfig
        let actual = try await target.withSession { session in try session.module.tokenInfo(slot: session.slot).serialNumber }
        if actual == serial && !files.isEmpty {
            // The bundle's own partition (or a clone): put its encrypted object files back.
            try await target.withSession { session in
                try Self.materialise(files, wanted: wanted, folder: try SoftHSMPartition.folder(serial: serial, conf: conf),
                                     session: session)
            }
        } else {
            // Another partition: only wrapped material can move there.
            try await restoreWrapped(payload.wrapped, wanted: wanted, target: target, partition: serial)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        for record in decision.restore {
            try await store.storeMetadata(name: record.name, value: Array(try encoder.encode(record)))
        }
        try await registry.reload()
        return RestoreOutcome(restored: decision.restore.map(\.name), skipped: decision.skip.map(\.name))
    }
}
