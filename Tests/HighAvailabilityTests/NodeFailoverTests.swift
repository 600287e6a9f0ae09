// Failover between HSM nodes, end to end: real personahsmd processes on the dev topology
// (3 primary + 2 DR SoftHSM2 nodes) reached through the fault-injecting module, real clients
// under load. One hung primary node costs no call whose deadline exceeds the measured RTO; with
// every primary node down the DR cluster serves; healed nodes rejoin; with every node down the
// service is read-only (verify, public keys, did:key, health) and refuses HSM work within 100 ms,
// then recovers without a restart.

import Foundation
import PersonaClient
import PersonaProtos
import RPCCore
import SoftCrypto
import Testing
import TestSupport

@Suite("HSM node failover", .serialized)
struct NodeFailoverTests {
    @Test("a new key is on every node before CreateKey returns; one hung primary node under load fails no call")
    func onePrimaryNodeHangsUnderLoad() async throws {
        let cluster = try HACluster()
        defer { cluster.remove() }
        let server = try cluster.startServer()
        defer { server.process.terminate() }
        let admin = try cluster.connect(role: "admin", endpoints: [server.endpoint])
        let issuer = try cluster.connect(role: "issuer", endpoints: [server.endpoint])
        defer { Task { await admin.close(); await issuer.close() } }

        let created = try await admin.keys.createKey(CreateKeyRequest(name: "ha-one", algorithm: .ed25519))
        #expect(Set(created.versions.first?.backends ?? []) == Set(HACluster.nodes), "RPO 0: material on every node")

        let load = SignLoad(connection: issuer, keyName: "ha-one", callers: 8, deadline: .seconds(5))
        try await Task.sleep(for: .seconds(1.5))
        let fault = ContinuousClock.now
        try cluster.setFault("primary-2", ["fault": "hang"])
        try await waitFor("primary-2 out of rotation", timeout: .seconds(5)) {
            try await Self.nodeHealth(issuer)["primary-2"] == false
        }
        try await Task.sleep(for: .seconds(2))
        let outcomes = await load.stop()
        let rto = SignLoad.recoveryTime(outcomes, fault: fault)
        let failed = outcomes.filter { $0.error != nil }
        print(SignLoad.benchLine("ha.one_primary_node_hangs", outcomes, fault: fault, rto: rto))
        #expect(failed.isEmpty, "failed calls: \(failed.prefix(3).map { $0.error ?? "" })")
        #expect(rto < .seconds(5), "every call had a 5 s deadline; RTO \(rto)")
        #expect(outcomes.count > 50)
        try await verifyAll(outcomes, keyName: "ha-one", algorithm: .ed25519, on: issuer)

        // Healed, the node rejoins and takes work again.
        try cluster.setFault("primary-2", [:])
        try await waitFor("primary-2 back in rotation", timeout: .seconds(15)) {
            try await Self.nodeHealth(issuer)["primary-2"] == true
        }
        let before = try server.completed(on: "primary-2")
        let again = SignLoad(connection: issuer, keyName: "ha-one", callers: 8)
        try await Task.sleep(for: .seconds(2.5))
        let more = await again.stop()
        #expect(more.allSatisfy { $0.error == nil })
        #expect(try server.completed(on: "primary-2") > before, "the rejoined node serves again")
    }

    @Test("every primary node down: the DR cluster serves; the primaries rejoin and take the traffic back")
    func primaryClusterDownServesFromDR() async throws {
        let cluster = try HACluster()
        defer { cluster.remove() }
        let server = try cluster.startServer()
        defer { server.process.terminate() }
        let admin = try cluster.connect(role: "admin", endpoints: [server.endpoint])
        let issuer = try cluster.connect(role: "issuer", endpoints: [server.endpoint])
        defer { Task { await admin.close(); await issuer.close() } }
        _ = try await admin.keys.createKey(CreateKeyRequest(name: "ha-dr", algorithm: .ecdsaP256Sha256))

        let drBefore = try HACluster.drs.map { try server.completed(on: $0) }.reduce(0, +)
        let load = SignLoad(connection: issuer, keyName: "ha-dr", callers: 6, deadline: .seconds(5))
        try await Task.sleep(for: .seconds(1))
        let fault = ContinuousClock.now
        for node in HACluster.primaries { try cluster.setFault(node, ["fault": "device_removed"]) }
        try await waitFor("every primary node out of rotation", timeout: .seconds(5)) {
            let health = try await Self.nodeHealth(issuer)
            return HACluster.primaries.allSatisfy { health[$0] == false }
        }
        #expect(try server.ops("/readyz").contains("serving from the DR cluster"))
        // Key changes go to the primary cluster only (DR is a replica): refused at once.
        let refused = ContinuousClock.now
        do {
            _ = try await admin.keys.createKey(CreateKeyRequest(name: "ha-dr-new", algorithm: .ed25519))
            Issue.record("a key was created with no primary node")
        } catch let error as RPCError {
            #expect(error.code == .unavailable, "\(error)")
        }
        #expect(ContinuousClock.now - refused < .milliseconds(500))
        try await Task.sleep(for: .seconds(2))
        let outcomes = await load.stop()
        let failed = outcomes.filter { $0.error != nil }
        let rto = SignLoad.recoveryTime(outcomes, fault: fault)
        print(SignLoad.benchLine("ha.primary_cluster_removed_to_dr", outcomes, fault: fault, rto: rto))
        #expect(failed.isEmpty, "failed calls: \(failed.prefix(3).map { $0.error ?? "" })")
        try await verifyAll(outcomes, keyName: "ha-dr", algorithm: .ecdsaP256SHA256(.raw), on: issuer)
        try await Task.sleep(for: .seconds(1.2))  // metrics are published every second
        let drAfter = try HACluster.drs.map { try server.completed(on: $0) }.reduce(0, +)
        #expect(drAfter > drBefore + 20, "DR nodes signed (\(drBefore) -> \(drAfter))")

        for node in HACluster.primaries { try cluster.setFault(node, [:]) }
        try await waitFor("every primary node back", timeout: .seconds(20)) {
            let health = try await Self.nodeHealth(issuer)
            return HACluster.nodes.allSatisfy { health[$0] == true }
        }
        #expect(try server.ops("/readyz").hasPrefix("ready"))
        try await Task.sleep(for: .seconds(1.2))
        let drSettled = try HACluster.drs.map { try server.completed(on: $0) }.reduce(0, +)
        let primarySettled = try HACluster.primaries.map { try server.completed(on: $0) }.reduce(0, +)
        let back = SignLoad(connection: issuer, keyName: "ha-dr", callers: 6)
        try await Task.sleep(for: .seconds(2))
        let later = await back.stop()
        #expect(later.allSatisfy { $0.error == nil })
        try await Task.sleep(for: .seconds(1.2))
        #expect(try HACluster.primaries.map { try server.completed(on: $0) }.reduce(0, +) > primarySettled + 20)
        // DR nodes serve only health probes once a primary is back.
        #expect(try HACluster.drs.map { try server.completed(on: $0) }.reduce(0, +) <= drSettled + 10)
    }

    @Test("no node reachable: read-only service, HSM work refused within 100 ms, automatic recovery")
    func allNodesDownDegradedMode() async throws {
        let cluster = try HACluster()
        defer { cluster.remove() }
        let server = try cluster.startServer()
        defer { server.process.terminate() }
        let admin = try cluster.connect(role: "admin", endpoints: [server.endpoint])
        let issuer = try cluster.connect(role: "issuer", endpoints: [server.endpoint])
        defer { Task { await admin.close(); await issuer.close() } }
        _ = try await admin.keys.createKey(CreateKeyRequest(name: "ha-deg", algorithm: .ed25519))
        _ = try await admin.keys.createKey(CreateKeyRequest(name: "ha-aes", purpose: .encryptDecrypt, algorithm: .aes256Gcm))
        let message = Array("signed before the outage".utf8)
        let signed = try await issuer.signing.sign(SignRequest(keyName: "ha-deg", input: .data(message)))

        for node in HACluster.nodes { try cluster.setFault(node, ["fault": "device_error"]) }
        try await waitFor("every node out of rotation", timeout: .seconds(5)) {
            try await Self.nodeHealth(issuer).values.allSatisfy { !$0 }
        }
        let readyz = try server.ops("/readyz")
        #expect(readyz.hasPrefix("degraded") && readyz.contains("read-only"), "\(readyz)")
        let health = try await issuer.health.check(HealthCheckRequest(service: ""))
        #expect(health.status == .degraded && health.backends.count == 5)

        // Reads work from the cache.
        let verified = try await issuer.signing.verify(VerifyRequest(keyName: "ha-deg", input: .data(message),
                                                                     signature: signed.signature))
        #expect(verified.valid)
        let publicKey = try await issuer.keys.getPublicKey(GetPublicKeyRequest(name: "ha-deg"))
        #expect(publicKey.didKey.hasPrefix("did:key:z6Mk"))
        #expect(try SoftCrypto.PublicKey(spkiDER: publicKey.data).isValidSignature(signed.signature, for: message,
                                                                                   algorithm: .ed25519))

        // HSM work fails fast with UNAVAILABLE and a retry hint.
        var refusals: [Int64] = []
        for attempt in 0..<20 {
            let started = ContinuousClock.now
            do { _ = try await issuer.signing.sign(SignRequest(keyName: "ha-deg", input: .data([UInt8(attempt)]))) } catch {}
            let elapsed = ContinuousClock.now - started
            refusals.append(elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000)
        }
        refusals.sort()
        print("BENCH ha.degraded_sign_refusal calls=20 median_us=\(refusals[10]) slowest_us=\(refusals[19]) all_us=\(refusals)")
        for attempt in 0..<5 {
            let started = ContinuousClock.now
            await expectUnavailable("sign \(attempt)", started: started) {
                _ = try await issuer.signing.sign(SignRequest(keyName: "ha-deg", input: .data([UInt8(attempt)])))
            }
        }
        await expectUnavailable("encrypt", started: .now) {
            _ = try await issuer.crypto.encrypt(EncryptRequest(keyName: "ha-aes", plaintext: [1, 2, 3]))
        }
        await expectUnavailable("create key", started: .now) {
            _ = try await admin.keys.createKey(CreateKeyRequest(name: "ha-new", algorithm: .ed25519))
        }

        // Nodes return: everything works again, same process.
        for node in HACluster.nodes { try cluster.setFault(node, [:]) }
        try await waitFor("nodes back", timeout: .seconds(20)) {
            try await Self.nodeHealth(issuer).values.allSatisfy { $0 }
        }
        let after = try await issuer.signing.sign(SignRequest(keyName: "ha-deg", input: .data(message)))
        #expect(after.signature == signed.signature, "Ed25519 is deterministic: same key, same signature")
        let fresh = try await admin.keys.createKey(CreateKeyRequest(name: "ha-new", algorithm: .ed25519))
        #expect(Set(fresh.versions.first?.backends ?? []) == Set(HACluster.nodes))
        #expect(try server.ops("/readyz").hasPrefix("ready"))
        #expect(server.process.isRunning)
    }

    // MARK: helpers

    static func nodeHealth(_ connection: PersonaConnection) async throws -> [String: Bool] {
        let response = try await connection.health.check(HealthCheckRequest(service: ""))
        return Dictionary(uniqueKeysWithValues: response.backends.map { ($0.name, $0.healthy) })
    }

    private func verifyAll(_ outcomes: [SignOutcome], keyName: String, algorithm: SignatureAlgorithm,
                           on connection: PersonaConnection) async throws {
        let key = try SoftCrypto.PublicKey(spkiDER: try await connection.keys.getPublicKey(GetPublicKeyRequest(name: keyName)).data)
        var bad = 0
        for outcome in outcomes {
            guard let signature = outcome.signature else { continue }
            if (try? key.isValidSignature(signature, for: outcome.message, algorithm: algorithm)) != true { bad += 1 }
        }
        #expect(bad == 0, "\(bad) signatures do not verify")
    }

    private func expectUnavailable(_ what: String, started: ContinuousClock.Instant,
                                   _ body: () async throws -> Void) async {
        do {
            try await body()
            Issue.record("\(what) succeeded with no HSM node")
        } catch let error as RPCError {
            let elapsed = ContinuousClock.now - started
            #expect(error.code == .unavailable, "\(what): \(error)")
            #expect((error.details?.retryAfterMillis ?? 0) > 0, "\(what): retry hint")
            #expect(elapsed < .milliseconds(100), "\(what) took \(elapsed)")
        } catch {
            Issue.record("\(what): unexpected \(error)")
        }
    }
}

/// Polls `condition` every 50 ms until it holds or `timeout` passes.
func waitFor(_ what: String, timeout: Duration, _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if (try? await condition()) == true { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    throw DaemonProcessError("timed out waiting for: \(what)")
}
