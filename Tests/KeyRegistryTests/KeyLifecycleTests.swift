// Life-cycle rules of a key record, without an HSM: rotation, did:key versions going
// verify-only, enable/disable, scheduled destruction and its cancellation.

import Testing
@testable import KeyRegistry

@Suite struct KeyLifecycleTests {
    func version(_ number: UInt32) -> KeyVersionRecord {
        KeyVersionRecord(version: number, state: .enabled, createdMillis: 0, hsmID: "id\(number)",
                         publicKeySPKI: [1, 2, 3], didKey: "did:key:z\(number)", backends: ["p1"])
    }

    func record(_ algorithm: KeyAlgorithm = .ed25519) -> KeyRecord {
        var record = KeyRecord(name: "issuer", purpose: .signVerify, algorithm: algorithm,
                               rotationPeriodSeconds: 90 * 86_400, labels: [:], createdMillis: 0, allowBackup: false)
        record.addPrimaryVersion(version(1), nowMillis: 0)
        return record
    }

    @Test func rotationMakesNewPrimaryAndOldDidKeysVerifyOnly() throws {
        var key = record()
        #expect(key.nextRotationMillis == 90 * 86_400_000)
        #expect(!key.isRotationDue(nowMillis: 90 * 86_400_000 - 1))
        #expect(key.isRotationDue(nowMillis: 90 * 86_400_000))
        key.addPrimaryVersion(version(key.nextVersionNumber), nowMillis: 90 * 86_400_000)
        #expect(key.primaryVersion == 2)
        #expect(key.version(1)?.state == .verifyOnly)
        #expect(try key.versionForPrivateOperation(0).version == 2)
        #expect(throws: KeyRegistryError.self) { try key.versionForPrivateOperation(1) }
        #expect(try key.versionsForPublicOperation(0).map(\.version) == [2, 1])
        #expect(key.nextRotationMillis == 180 * 86_400_000)
    }

    @Test func enablingAnOldDidKeyVersionLeavesItVerifyOnly() throws {
        var key = record()
        key.addPrimaryVersion(version(2), nowMillis: 1)
        try key.disable(1)
        try key.enable(1)
        #expect(key.version(1)?.state == .verifyOnly)
        try key.disable(0)
        try key.enable(0)
        #expect(key.version(1)?.state == .verifyOnly && key.version(2)?.state == .enabled)
    }

    @Test func rotationKeepsOlderNonDidVersionsEnabled() {
        var key = record(.ecdsaP256SHA256)
        key.addPrimaryVersion(version(2), nowMillis: 1)
        #expect(key.version(1)?.state == .enabled)
    }

    @Test func disableAndEnable() throws {
        var key = record()
        try key.disable(1)
        do {
            _ = try key.versionForPrivateOperation(0)
            Issue.record("disabled key signed")
        } catch let error as KeyRegistryError {
            #expect(error.kind == .failedPrecondition && error.reason == "KEY_DISABLED")
        }
        #expect(throws: KeyRegistryError.self) { try key.versionsForPublicOperation(0) }
        try key.enable(1)
        #expect(try key.versionForPrivateOperation(0).version == 1)
        #expect(throws: KeyRegistryError.self) { try key.enable(7) }
    }

    @Test func scheduledDestructionAndCancellation() throws {
        var key = record()
        try key.scheduleDestruction(1, nowMillis: 1000, waitMillis: 30 * 86_400_000)
        #expect(key.version(1)?.state == .destructionScheduled)
        #expect(key.versionsDueForDestruction(nowMillis: 1000 + 30 * 86_400_000 - 1).isEmpty)
        #expect(key.versionsDueForDestruction(nowMillis: 1000 + 30 * 86_400_000).map(\.version) == [1])
        #expect(throws: KeyRegistryError.self) { try key.enable(1) }
        try key.cancelDestruction(1)
        #expect(key.version(1)?.state == .disabled)
        #expect(key.version(1)?.destroyAfterMillis == nil)
        try key.scheduleDestruction(1, nowMillis: 0, waitMillis: 0)
        key.markDestroyed(1)
        #expect(key.version(1)?.state == .destroyed && key.version(1)?.publicKeySPKI == nil)
        #expect(throws: KeyRegistryError.self) { try key.cancelDestruction(1) }
        #expect(throws: KeyRegistryError.self) { try key.versionForPrivateOperation(1) }
        #expect(throws: KeyRegistryError.self) { try key.scheduleDestruction(0, nowMillis: 0, waitMillis: 0) }
    }

    /// Periods and waits far beyond the service's 100-year bound saturate instead of trapping:
    /// the key simply never comes due.
    @Test func hugePeriodsSaturate() throws {
        var key = KeyRecord(name: "issuer", purpose: .signVerify, algorithm: .ed25519,
                            rotationPeriodSeconds: .max, labels: [:], createdMillis: 0, allowBackup: false)
        key.addPrimaryVersion(version(1), nowMillis: 1_000)
        #expect(key.nextRotationMillis == .max)
        #expect(!key.isRotationDue(nowMillis: 4_000_000_000_000))
        #expect(KeyRecord.millis(.max - 5, plusSeconds: 1) == .max)
        #expect(KeyRecord.millis(1_000, plusSeconds: 2) == 3_000)
        try key.scheduleDestruction(1, nowMillis: 1_000, waitMillis: .max)
        #expect(key.version(1)?.destroyAfterMillis == .max)
        #expect(key.versionsDueForDestruction(nowMillis: 4_000_000_000_000).isEmpty)
    }

    @Test(arguments: ["issuer", "tenant-a.issuer_1", "0x"])
    func acceptsGoodNames(name: String) throws { try KeyRecord.validateName(name) }

    @Test(arguments: ["", "Issuer", "-x", "a b", "a/b", String(repeating: "a", count: 129), "ключ"])
    func rejectsBadNames(name: String) {
        #expect(throws: KeyRegistryError.self) { try KeyRecord.validateName(name) }
    }

    @Test func purposeAllowsMatchingAlgorithms() {
        #expect(KeyRecord.Purpose.signVerify.allows(.ed25519))
        #expect(!KeyRecord.Purpose.signVerify.allows(.aes256GCM))
        #expect(KeyRecord.Purpose.encryptDecrypt.allows(.aes256GCM))
        #expect(!KeyRecord.Purpose.derive.allows(.rsa2048PSSSHA256))
    }
}
