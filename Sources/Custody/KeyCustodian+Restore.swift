// The careful part of a restore: deciding which keys to bring back, and bringing back exactly
// their objects. Putting the partition's missing files back can also revive objects nobody asked
// for (other keys, superseded metadata objects); those are found by comparing the token's object
// handles before and after, and destroyed again.

import Foundation
import KeyRegistry
import PKCS11

extension KeyRecord {
    /// (CKA_ID, class) of the private or secret object of every version not destroyed.
    var liveMaterial: [([UInt8], ObjectClass)] {
        versions.filter { $0.state != .destroyed }.compactMap { version in
            guard let id = [UInt8](hexString: version.hsmID) else { return nil }
            return (id, algorithm.isSigning ? .privateKey : .secretKey)
        }
    }
}

extension KeyCustodian {
    struct Plan: Sendable {
        var restore: [KeyRecord]
        var skip: [KeyRecord]
    }

    /// Skips keys the registry holds with all their material on `node`; a name the registry holds
    /// for a different key (other material) is skipped too, never overwritten. Versions the
    /// registry records as destroyed stay destroyed: an older bundle must not bring back a key
    /// that was destroyed after it was made (say, after a compromise); a key with nothing left
    /// to restore is skipped.
    func plan(_ records: [KeyRecord], on node: TokenNode) async throws -> Plan {
        var result = Plan(restore: [], skip: [])
        for record in records {
            guard let existing = try? registry.key(record.name) else {
                result.restore.append(record)
                continue
            }
            let sameKey = existing.versions.first?.hsmID == record.versions.first?.hsmID
            var candidate = record
            for version in existing.versions where version.state == .destroyed {
                candidate.markDestroyed(version.version)
            }
            candidate.revision = max(candidate.revision, existing.revision + 1)
            let material = candidate.liveMaterial
            let present = try await node.withSession { session in
                try material.allSatisfy { try session.findKey(id: $0.0, objectClass: $0.1) != nil }
            }
            if sameKey && !material.isEmpty && !present {
                result.restore.append(candidate)
            } else {
                result.skip.append(record)
            }
        }
        return result
    }

    /// Installs the missing files, keeps the new objects that belong to `wanted` and destroys the
    /// other new ones.
    /// - Throws: FAILED_PRECONDITION when a wanted key is still missing afterwards.
    static func materialise(_ files: [String: Data], wanted: [([UInt8], ObjectClass)], folder: String,
                            session: Session) throws {
        let before = Set(try session.findObjects([], limit: 1_000_000))
        let present = Set(try wanted.filter { try session.findKey(id: $0.0, objectClass: $0.1) != nil }.map { $0.0 })
        let wantedIDs = Set(wanted.map(\.0)).subtracting(present)
        _ = try SoftHSMPartition.installMissing(files, into: folder)
        let revived = Set(try session.findObjects([], limit: 1_000_000)).subtracting(before)
        let keyClasses: Set<ObjectClass> = [.privateKey, .publicKey, .secretKey]
        for object in revived {
            let objectClass = try session.ulongAttribute(.objectClass, of: object).map(ObjectClass.init(rawValue:))
            let id = try session.attribute(.id, of: object)
            let keep = objectClass.map(keyClasses.contains) == true && id.map(wantedIDs.contains) == true
            if !keep { try session.destroyObject(object) }
        }
        for (id, objectClass) in wanted where try session.findKey(id: id, objectClass: objectClass) == nil {
            throw CustodyError(.failedPrecondition, "material \(id.hexString) is not in the bundle's partition image",
                               reason: "MATERIAL_NOT_IN_BUNDLE")
        }
    }
}
