// The pieces of HA state that live in the HSM cluster or its store, tested alone: the maintenance
// lease on a real SoftHSM2 token (two instances, one leads; a released or expired claim hands
// over), and the SoftHSM2 store copy that replicates the primary partition to DR (new, changed
// and removed files; lock files left alone).

import Foundation
import KeyRegistry
import PKCS11
import Synchronization
import Testing
import TestSupport

@Suite("Shared cluster state")
struct SharedClusterStateTests {
    @Test("two instances share the maintenance lease: one leads, release and expiry hand it over")
    func maintenanceLease() async throws {
        let token = try TestHSM.token("ha-lease")
        let node = TokenNode(name: "n1", cluster: "primary", token: token, pin: try TestHSM.pin())
        let clock = Atomic<Int64>(1_000_000)
        let now: @Sendable () -> Int64 = { clock.load(ordering: .relaxed) }
        let first = MaintenanceLease(node: node, ttl: .seconds(3), settle: .milliseconds(500), now: now)
        clock.add(10, ordering: .relaxed)
        let second = MaintenanceLease(node: node, ttl: .seconds(3), settle: .milliseconds(500), now: now)

        #expect(await first.renewAndCheck() == false, "a claim younger than the settle time does not lead")
        clock.add(600, ordering: .relaxed)
        #expect(await first.renewAndCheck() == true)
        #expect(await second.renewAndCheck() == false, "the older claim leads")
        #expect(await first.renewAndCheck() == true)

        await first.release()
        #expect(await second.renewAndCheck() == true, "a released lease passes to the next instance at once")

        // The first instance comes back, then dies without releasing: its claim expires.
        #expect(await first.renewAndCheck() == true, "the oldest live claim leads again")
        #expect(await second.renewAndCheck() == false)
        clock.add(3_100, ordering: .relaxed)
        #expect(await second.renewAndCheck() == true, "an expired claim no longer leads")
        let labels = try await node.withSession { try $0.dataLabels(application: MaintenanceLease.application) }
        #expect(labels == [second.holder], "the expired claim was removed")
        await second.release()
    }

    @Test("the SoftHSM2 store copy mirrors new, changed and removed files, generation last, locks untouched")
    func storeCopy() async throws {
        let base = NSTemporaryDirectory() + "ha-copy-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: base) }
        let source = base + "/primary", target = base + "/dr"
        let fm = FileManager.default
        try fm.createDirectory(atPath: source + "/token-a", withIntermediateDirectories: true)
        try Data("token".utf8).write(to: URL(fileURLWithPath: source + "/token-a/token.object"))
        try Data("key-1".utf8).write(to: URL(fileURLWithPath: source + "/token-a/k1.object"))
        try Data("gen-1".utf8).write(to: URL(fileURLWithPath: source + "/token-a/generation"))
        try Data().write(to: URL(fileURLWithPath: source + "/token-a/k1.lock"))
        let copy = SoftHSMStoreCopy(source: source, targets: [target])

        try await copy.replicate()
        #expect(copy.lastCopiedFiles == 3)
        #expect(fm.contents(atPath: target + "/token-a/k1.object") == Data("key-1".utf8))
        #expect(fm.contents(atPath: target + "/token-a/generation") == Data("gen-1".utf8))
        #expect(!fm.fileExists(atPath: target + "/token-a/k1.lock"), "lock files belong to each store")

        try await copy.replicate()
        #expect(copy.lastCopiedFiles == 0, "nothing changed, nothing written")

        try Data("key-2".utf8).write(to: URL(fileURLWithPath: source + "/token-a/k2.object"))
        try Data("gen-2".utf8).write(to: URL(fileURLWithPath: source + "/token-a/generation"))
        try fm.removeItem(atPath: source + "/token-a/k1.object")
        try Data().write(to: URL(fileURLWithPath: target + "/token-a/k2.lock"))
        try await copy.replicate()
        #expect(copy.lastCopiedFiles == 3, "one new, the generation, one removed")
        #expect(fm.contents(atPath: target + "/token-a/k2.object") == Data("key-2".utf8))
        #expect(!fm.fileExists(atPath: target + "/token-a/k1.object"))
        #expect(fm.fileExists(atPath: target + "/token-a/k2.lock"), "the DR store's own locks stay")
        #expect(fm.contents(atPath: target + "/token-a/generation") == Data("gen-2".utf8))
    }

    @Test("with no node reachable, key changes fail at once with UNAVAILABLE")
    func keyChangesFailFastWhenUnreachable() async throws {
        let token = try TestHSM.token("ha-unreachable")
        let node = TokenNode(name: "n1", cluster: "primary", token: token, pin: try TestHSM.pin())
        let store = TokenKeyStore(nodes: [node], reachable: { false })
        let started = ContinuousClock.now
        await #expect(throws: KeyRegistryError.self) {
            _ = try await store.generate(.ed25519, id: TestHSM.newID(), label: "x", allowBackup: false)
        }
        do {
            try await store.storeMetadata(name: "x", value: [1])
            Issue.record("metadata stored with no node reachable")
        } catch let error as KeyRegistryError {
            #expect(error.kind == .unavailable && error.reason == "HSM_UNAVAILABLE")
        }
        #expect(ContinuousClock.now - started < .milliseconds(100))
        #expect(try await node.withSession { try $0.dataLabels(application: TokenKeyStore.metadataApplication) }.isEmpty)
    }
}
