// Signs audit checkpoints with an Ed25519 key held in the HSM, through the same scheduler as
// every other signature, and exports the key's public halves next to the log so that
// `personahsm audit verify` can check checkpoints without access to the HSM.

import AuditLog
import Foundation
import HSMScheduler
import KeyRegistry

/// The audit key in the HSM as the audit log's signer.
struct HSMCheckpointSigner: CheckpointSigner {
    let registry: KeyRegistry
    let scheduler: HSMScheduler
    let keyName: String

    func sign(_ message: [UInt8]) async throws -> (signature: [UInt8], keyName: String, keyVersion: UInt32) {
        let record = try registry.key(keyName)
        let version = try record.versionForPrivateOperation(0)
        let signature = try await scheduler.sign(message, key: KeyReference(id: try KeyRegistry.id(fromHex: version.hsmID)),
                                                 mechanism: .ed25519, client: "audit")
        return (signature, keyName, version.version)
    }

    /// Creates the audit key if it does not exist (Ed25519, never rotated automatically: old
    /// checkpoints must stay verifiable) and writes `<folder>/<name>-v<N>.pem` for every version.
    static func prepareKey(named name: String, registry: KeyRegistry, exportTo folder: String) async throws -> KeyRecord {
        let record: KeyRecord
        if let existing = try? registry.key(name) {
            record = existing
        } else {
            record = try await registry.create(name: name, purpose: .signVerify, algorithm: .ed25519, rotationSeconds: 0,
                                               labels: ["use": "audit-checkpoints"])
        }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for version in record.versions where version.publicKeySPKI != nil {
            let pem = try registry.publicKey(name: name, version: version).pemRepresentation
            try pem.write(toFile: "\(folder)/\(name)-v\(version.version).pem", atomically: true, encoding: .utf8)
        }
        return record
    }
}
