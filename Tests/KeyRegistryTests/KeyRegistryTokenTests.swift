// The registry against a real SoftHSM2 token: keys are generated inside the token as
// non-extractable objects, metadata lives on the token and survives a reload, rotation on a
// simulated clock adds versions, and destruction removes the material.

import Credentials
import Foundation
import PKCS11
import SoftCrypto
import Synchronization
import Testing
import TestSupport
@testable import KeyRegistry

@Suite(.serialized) struct KeyRegistryTokenTests {
    final class SimulatedClock: Sendable {
        let millis = Mutex<Int64>(1_800_000_000_000)
        func advance(days: Double) { millis.withLock { $0 += Int64(days * 86_400_000) } }
        var now: Int64 { millis.withLock { $0 } }
    }

    static func makeRegistry(label: String, clock: SimulatedClock) async throws -> (KeyRegistry, TokenKeyStore, Token) {
        let token = try TestHSM.token(label)
        let store = TokenKeyStore(nodes: [TokenNode(name: "node-1", cluster: "primary", token: token, pin: try TestHSM.pin())])
        var options = KeyRegistryOptions()
        options.minimumDestructionWaitMillis = 0
        let registry = try await KeyRegistry.open(store: store, options: options) { clock.now }
        return (registry, store, token)
    }

    @Test func createsNonExtractableKeysAndPersistsMetadata() async throws {
        let clock = SimulatedClock()
        let (registry, store, token) = try await Self.makeRegistry(label: "reg-create", clock: clock)
        let issuer = try await registry.create(name: "issuer-1", purpose: .signVerify, algorithm: .ed25519)
        let aes = try await registry.create(name: "data-1", purpose: .encryptDecrypt, algorithm: .aes256GCM)
        let version = try #require(issuer.primary)
        let did = try #require(version.didKey)
        #expect(did.hasPrefix("did:key:z6Mk"))
        #expect(version.backends == ["node-1"])
        let spki = try #require(version.publicKeySPKI)
        let publicKey = try SoftCrypto.PublicKey(spkiDER: spki)
        #expect(publicKey.kind == .ed25519)
        #expect(try DIDKey(did: did).publicKey == publicKey)
        #expect(aes.primary?.publicKeySPKI == nil)

        // The private key is on the token, sensitive and not extractable.
        let id = try KeyRegistry.id(fromHex: version.hsmID)
        let session = try token.openSession()
        let handle = try #require(try session.findKey(id: id, objectClass: .privateKey))
        #expect(try session.boolAttribute(.sensitive, of: handle) == true)
        #expect(try session.boolAttribute(.extractable, of: handle) == false)

        // A second registry over the same token sees the same keys.
        let reopened = try await KeyRegistry.open(store: store, options: KeyRegistryOptions()) { clock.now }
        #expect(try reopened.key("issuer-1") == issuer)
        #expect(reopened.list().map(\.name) == ["data-1", "issuer-1"])

        await #expect(throws: KeyRegistryError.self) {
            try await registry.create(name: "issuer-1", purpose: .signVerify, algorithm: .ed25519)
        }
        await #expect(throws: KeyRegistryError.self) {
            try await registry.create(name: "bad", purpose: .signVerify, algorithm: .aes256GCM)
        }
    }

    @Test func rotatesOnTheSimulatedClockAndDestroysAfterTheWait() async throws {
        let clock = SimulatedClock()
        let (registry, _, token) = try await Self.makeRegistry(label: "reg-rotate", clock: clock)
        _ = try await registry.create(name: "issuer-2", purpose: .signVerify, algorithm: .ed25519)
        clock.advance(days: 89)
        #expect(await registry.runMaintenance().isEmpty)
        clock.advance(days: 1)
        #expect(await registry.runMaintenance() == [.rotated(name: "issuer-2", version: 2)])
        let rotated = try registry.key("issuer-2")
        #expect(rotated.primaryVersion == 2)
        #expect(rotated.version(1)?.state == .verifyOnly)
        #expect(rotated.version(1)?.didKey != rotated.version(2)?.didKey)

        _ = try await registry.scheduleDestruction("issuer-2", version: 1, waitMillis: 86_400_000)
        clock.advance(days: 0.5)
        #expect(await registry.runMaintenance().isEmpty)
        clock.advance(days: 0.6)
        #expect(await registry.runMaintenance() == [.destroyed(name: "issuer-2", version: 1)])
        let destroyed = try registry.key("issuer-2")
        #expect(destroyed.version(1)?.state == .destroyed)
        let id = try KeyRegistry.id(fromHex: destroyed.version(1)!.hsmID)
        #expect(try token.openSession().findKey(id: id, objectClass: .privateKey) == nil)
        #expect(try token.openSession().findKey(id: try KeyRegistry.id(fromHex: destroyed.version(2)!.hsmID),
                                                objectClass: .privateKey) != nil)
    }
}
