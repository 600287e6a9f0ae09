// Failover between personahsmd instances: two servers on the same HSM cluster, clients with both
// endpoints, SIGKILL of the one in use in the middle of a signing load. Clients move to the other
// instance; no call is lost (each carries an idempotency key, so the channel retries it); and
// every signature a client received is in exactly one of the two audit logs. The key is ECDSA
// P-256: a call whose response died with the killed instance and is signed again by the survivor
// yields a different signature, so a received signature audited twice, or not at all, shows.

import Foundation
import PersonaClient
import PersonaProtos
import RPCCore
import SoftCrypto
import Testing
import TestSupport

@Suite("personahsmd instance failover", .serialized)
struct ServerFailoverTests {
    @Test("kill -9 of one of two instances mid-load: clients move on, no lost signature, each audited once")
    func killOneInstanceMidLoad() async throws {
        let cluster = try HACluster()
        defer { cluster.remove() }
        let first = try cluster.startServer(auditPath: cluster.root + "/audit-a/audit.log")
        defer { first.process.kill9() }
        let second = try cluster.startServer(auditPath: cluster.root + "/audit-b/audit.log")
        defer { second.process.terminate() }
        let admin = try cluster.connect(role: "admin", endpoints: [first.endpoint, second.endpoint])
        _ = try await admin.keys.createKey(CreateKeyRequest(name: "ha-two", algorithm: .ecdsaP256Sha256))
        // The second instance learns of the key from the HSM (its registry reloads on a miss).
        let issuer = try cluster.connect(role: "issuer", endpoints: [first.endpoint, second.endpoint])
        defer { Task { await admin.close(); await issuer.close() } }

        let load = SignLoad(connection: issuer, keyName: "ha-two", callers: 8, deadline: .seconds(10))
        try await Task.sleep(for: .seconds(2))
        let killed = ContinuousClock.now
        first.process.kill9()
        try await Task.sleep(for: .seconds(3))
        let outcomes = await load.stop()
        let failed = outcomes.filter { $0.error != nil }
        let rto = SignLoad.recoveryTime(outcomes, fault: killed)
        let beforeKill = outcomes.filter { $0.ended < killed }.count
        let afterKill = outcomes.filter { $0.started > killed + rto }.count
        let failover = SignLoad.longestAcross(outcomes, killed)
        print(SignLoad.benchLine("ha.server_instance_kill9", outcomes, fault: killed, rto: rto)
              + " longest_call_across_kill_ms=\(failover.components.attoseconds / 1_000_000_000_000_000 + failover.components.seconds * 1000)")
        #expect(failed.isEmpty, "lost calls: \(failed.prefix(3).map { $0.error ?? "" })")
        #expect(beforeKill > 20 && afterKill > 20, "load ran on both sides of the kill")

        // Every received signature verifies and is audited exactly once across both logs.
        let key = try SoftCrypto.PublicKey(spkiDER: try await issuer.keys.getPublicKey(GetPublicKeyRequest(name: "ha-two")).data)
        second.process.terminate()  // final checkpoint, log closed
        var counts: [String: Int] = [:]
        for path in [first.auditPath, second.auditPath] {
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            for line in text.split(separator: "\n") {
                guard let range = line.range(of: "\"signature_sha256\":\"") else { continue }
                counts[String(line[range.upperBound...].prefix(64)), default: 0] += 1
            }
        }
        var notOnce = 0
        for outcome in outcomes {
            guard let signature = outcome.signature else { continue }
            #expect(try key.isValidSignature(signature, for: outcome.message, algorithm: .ecdsaP256SHA256(.raw)))
            if counts[SHA256.hash(signature).hexString] != 1 { notOnce += 1 }
        }
        #expect(notOnce == 0, "\(notOnce) of \(outcomes.count) received signatures not audited exactly once")
    }
}
