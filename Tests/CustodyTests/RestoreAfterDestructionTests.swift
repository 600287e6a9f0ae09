// A key destroyed after its backup was made stays destroyed: restoring the older bundle into the
// same partition must not bring the key (or its material) back, while a key in the same bundle
// that was only lost comes back.

import Custody
import Foundation
import KeyRegistry
import PKCS11
import Testing
import TestSupport

@Suite("Custody: restore never revives destroyed versions", .serialized)
struct RestoreAfterDestructionTests {
    @Test("an older bundle restores a lost key but not a destroyed one")
    func destroyedStaysDestroyed() async throws {
        let node = TokenNode(name: "custody-d-src", cluster: "primary", token: try TestHSM.token("custody-d-src"),
                             pin: try TestHSM.pin())
        var options = KeyRegistryOptions()
        options.minimumDestructionWaitMillis = 0
        let registry = try await KeyRegistry.open(store: TokenKeyStore(nodes: [node]), options: options)
        let destroyed = try await registry.create(name: "d-gone", purpose: .signVerify, algorithm: .ecdsaP256SHA256,
                                                  allowBackup: true)
        let lost = try await registry.create(name: "d-lost", purpose: .signVerify, algorithm: .ecdsaP256SHA256,
                                             allowBackup: true)
        let custodian = KeyCustodian(registry: registry, nodes: [node],
                                     vault: BackupVault(node: TokenNode(name: "custody-d-vault", cluster: "primary",
                                                                        token: try TestHSM.token("custody-d-vault"),
                                                                        pin: try TestHSM.pin())),
                                     softHSMConfig: getenv("SOFTHSM2_CONF").map { String(cString: $0) }, now: { 1000 })
        let bundle = try await custodian.backup(keyNames: ["d-gone", "d-lost"])

        // Destroy one key through its life cycle; lose the other's material (a wiped object).
        _ = try await registry.scheduleDestruction("d-gone", version: 1, waitMillis: 0)
        await registry.runMaintenance()
        #expect(try registry.key("d-gone").versions[0].state == .destroyed)
        let goneID = try #require([UInt8](hexString: destroyed.versions[0].hsmID))
        let lostID = try #require([UInt8](hexString: lost.versions[0].hsmID))
        try await node.withSession { session in
            try session.destroyObject(try #require(try session.findKey(id: lostID, objectClass: .privateKey)))
        }

        let outcome = try await custodian.restore(try BackupBundle(serialized: bundle.serialized), backend: nil)
        #expect(outcome.restored == ["d-lost"])
        #expect(outcome.skipped == ["d-gone"])
        #expect(try registry.key("d-gone").versions[0].state == .destroyed, "restore revived a destroyed version")
        let (goneBack, lostBack) = try await node.withSession { session in
            (try session.findKey(id: goneID, objectClass: .privateKey), try session.findKey(id: lostID, objectClass: .privateKey))
        }
        #expect(goneBack == nil, "the destroyed key's material is back on the token")
        #expect(lostBack != nil, "the lost key was not restored")
    }
}
