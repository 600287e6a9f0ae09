// Idempotency across personahsmd instances: a keyed call answered by instance A and retried on
// instance B (what a client does when A dies after answering) gets A's answer from the shared
// records on the HSM cluster's shared-state token, byte for byte, and B does not sign again: its
// audit log holds a replay record and no signing record. The key is ECDSA P-256, whose signatures
// differ on every signing, so identical bytes prove the replay. Reusing the key with another
// request on B is refused. A BENCH line (PERSONAHSM_BENCH=1) compares keyed SignBatch and Sign throughput of an instance
// with shared records and one without, in the same run.

import Foundation
import PersonaClient
import PersonaProtos
import RPCCore
import SoftCrypto
import Testing
import TestSupport

@Suite("Shared idempotency across instances", .serialized)
struct SharedIdempotencyFailoverTests {
    @Test("a keyed sign retried on another instance returns the first signature and is not signed again")
    func replayOnAnotherInstance() async throws {
        let cluster = try HACluster()
        defer { cluster.remove() }
        let a = try cluster.startServer(auditPath: cluster.root + "/audit-a/audit.log")
        defer { a.process.terminate() }
        let b = try cluster.startServer(auditPath: cluster.root + "/audit-b/audit.log")
        defer { b.process.terminate() }
        let admin = try cluster.connect(role: "admin", endpoints: [a.endpoint])
        _ = try await admin.keys.createKey(CreateKeyRequest(name: "idem-ec", algorithm: .ecdsaP256Sha256))
        // B sees the key after its next registry refresh (every maintenance tick, 1 s here).
        try await Task.sleep(for: .seconds(2))
        let onA = try cluster.connect(role: "issuer", endpoints: [a.endpoint])
        let onB = try cluster.connect(role: "issuer", endpoints: [b.endpoint])
        defer { Task { await admin.close(); await onA.close(); await onB.close() } }

        // Unary Sign with the call's idempotency key.
        let request = SignRequest(keyName: "idem-ec", input: .data(Array("credential 1".utf8)))
        let options = CallOptions(idempotencyKey: "unary-1")
        let first = try await onA.signing.sign(request, options: options)
        let replayed = try await onB.signing.sign(request, options: options)
        #expect(replayed.signature == first.signature, "B returned A's signature")
        #expect(replayed.version == first.version && replayed.keyName == "idem-ec")
        let fresh = try await onB.signing.sign(request, options: CallOptions(idempotencyKey: "unary-2"))
        #expect(fresh.signature != first.signature, "another key signs anew (ECDSA differs per signing)")

        do {
            _ = try await onB.signing.sign(SignRequest(keyName: "idem-ec", input: .data(Array("other".utf8))),
                                           options: options)
            Issue.record("the key was accepted with a different request")
        } catch let error as RPCError {
            #expect(error.code == .invalidArgument, "\(error)")
        }

        // SignBatch items with their own keys.
        let items = (0..<40).map { n in
            SignRequest(keyName: "idem-ec", input: .data(Array("batch item \(n)".utf8)), requestId: "r\(n)",
                        idempotencyKey: "batch-\(n)")
        }
        let batchA = try await onA.signing.signBatch(SignBatchRequest(requests: items))
        let batchB = try await onB.signing.signBatch(SignBatchRequest(requests: items))
        let signaturesA = batchA.results.map { result -> [UInt8]? in
            if case .response(let response) = result.result { return response.signature } else { return nil }
        }
        let signaturesB = batchB.results.map { result -> [UInt8]? in
            if case .response(let response) = result.result { return response.signature } else { return nil }
        }
        #expect(signaturesA.allSatisfy { $0 != nil })
        #expect(signaturesB == signaturesA, "every batch item replayed")
        #expect(batchB.results.map(\.requestId) == items.map(\.requestId), "request ids are the caller's")

        // B's log: replay records, and no signing record for any replayed signature.
        a.process.terminate()
        b.process.terminate()
        let logA = (try? String(contentsOfFile: a.auditPath, encoding: .utf8)) ?? ""
        let logB = (try? String(contentsOfFile: b.auditPath, encoding: .utf8)) ?? ""
        for signature in [first.signature] + signaturesA.compactMap({ $0 }) {
            let digest = SHA256.hash(signature).hexString
            #expect(logA.components(separatedBy: "\"signature_sha256\":\"\(digest)\"").count == 2, "signed once, on A")
            #expect(!logB.contains("\"signature_sha256\":\"\(digest)\""), "B did not sign it again")
            #expect(logB.contains("\"replayed_signature\":\"\(digest)\""), "B recorded the replay")
        }
        #expect(logB.components(separatedBy: "\"idempotent_replay\":\"shared\"").count - 1 == 41)

        // The shared-state token stays out of the DR copy (its records are short-lived).
        let primaryTokens = try FileManager.default.contentsOfDirectory(atPath: cluster.root + "/hsm/tokens")
        let drTokens = try FileManager.default.contentsOfDirectory(atPath: cluster.root + "/hsm-dr/tokens")
        #expect(primaryTokens.count == 3 && drTokens.count == 2, "primary \(primaryTokens), DR \(drTokens)")
    }

    /// A measurement, not a check: it loads both cores, so it runs only when asked for
    /// (`PERSONAHSM_BENCH=1`, as Tools/bench-failover.sh does, serially).
    @Test("cost of shared records: keyed SignBatch and Sign throughput with and without them",
          .enabled(if: ProcessInfo.processInfo.environment["PERSONAHSM_BENCH"] != nil))
    func throughputWithAndWithout() async throws {
        let cluster = try HACluster()
        defer { cluster.remove() }
        // Without shared_state an instance would not know to leave the state token out of its DR
        // copy (instances sharing a store must agree on shared_state): this one copies nothing.
        let plainConfig = try cluster.writeConfig(named: "per-instance") { config in
            config.sharedState = nil
            config.replication = nil
        }
        let shared = try cluster.startServer(auditPath: cluster.root + "/audit-shared/audit.log")
        defer { shared.process.terminate() }
        let plain = try cluster.startServer(auditPath: cluster.root + "/audit-plain/audit.log", configPath: plainConfig)
        defer { plain.process.terminate() }
        let admin = try cluster.connect(role: "admin", endpoints: [shared.endpoint])
        _ = try await admin.keys.createKey(CreateKeyRequest(name: "idem-bench", algorithm: .ed25519))
        try await Task.sleep(for: .seconds(2))  // the other instance's registry refresh
        let onShared = try cluster.connect(role: "issuer", endpoints: [shared.endpoint])
        let onPlain = try cluster.connect(role: "issuer", endpoints: [plain.endpoint])
        defer { Task { await admin.close(); await onShared.close(); await onPlain.close() } }

        func batchRate(_ connection: PersonaConnection, _ tag: String) async throws -> Double {
            let started = ContinuousClock.now
            var signed = 0
            for round in 0..<6 {
                let items = (0..<256).map { n in
                    SignRequest(keyName: "idem-bench", input: .data(Array("\(tag) \(round) \(n)".utf8)),
                                idempotencyKey: "\(tag)-\(round)-\(n)")
                }
                let response = try await connection.signing.signBatch(SignBatchRequest(requests: items))
                signed += response.results.filter { if case .response = $0.result { true } else { false } }.count
            }
            #expect(signed == 6 * 256)
            return Double(signed) / Self.seconds(ContinuousClock.now - started)
        }
        func unaryRate(_ connection: PersonaConnection, _ tag: String, callers: Int, calls: Int) async throws -> Double {
            let started = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for caller in 0..<callers {
                    group.addTask {
                        for n in 0..<calls {
                            _ = try await connection.signing.sign(
                                SignRequest(keyName: "idem-bench", input: .data(Array("\(tag) \(caller) \(n)".utf8))),
                                options: CallOptions(idempotencyKey: "\(tag)-\(caller)-\(n)"))
                        }
                    }
                }
                try await group.waitForAll()
            }
            return Double(callers * calls) / Self.seconds(ContinuousClock.now - started)
        }
        // Warm both (key lookup, sessions), then alternate so drift hits both alike.
        _ = try await batchRate(onShared, "warm-s")
        _ = try await batchRate(onPlain, "warm-p")
        let batchPlain1 = try await batchRate(onPlain, "bp1"), batchShared1 = try await batchRate(onShared, "bs1")
        let batchShared2 = try await batchRate(onShared, "bs2"), batchPlain2 = try await batchRate(onPlain, "bp2")
        let unaryPlain = try await unaryRate(onPlain, "up", callers: 8, calls: 40)
        let unaryShared = try await unaryRate(onShared, "us", callers: 8, calls: 40)
        let manyPlain = try await unaryRate(onPlain, "mp", callers: 64, calls: 10)
        let manyShared = try await unaryRate(onShared, "ms", callers: 64, calls: 10)
        let batchShared = (batchShared1 + batchShared2) / 2, batchPlain = (batchPlain1 + batchPlain2) / 2
        print("BENCH ha.shared_idempotency objects_in_window=\(try await objectsOnStateToken(cluster)) keyed_signbatch_per_s_shared=\(Int(batchShared)) "
              + "keyed_signbatch_per_s_per_instance=\(Int(batchPlain)) "
              + "ratio=\(String(format: "%.2f", batchShared / batchPlain)) "
              + "keyed_sign_per_s_shared=\(Int(unaryShared)) keyed_sign_per_s_per_instance=\(Int(unaryPlain)) "
              + "ratio_sign=\(String(format: "%.2f", unaryShared / unaryPlain)) "
              + "keyed_sign_64_callers_per_s_shared=\(Int(manyShared)) keyed_sign_64_callers_per_s_per_instance=\(Int(manyPlain)) "
              + "ratio_sign_64=\(String(format: "%.2f", manyShared / manyPlain))")
        #expect(batchShared > 0 && unaryShared > 0)
    }

    /// Object files in the shared-state token's folder: the primary store's folder that the DR
    /// copy leaves out.
    func objectsOnStateToken(_ cluster: HACluster) async throws -> Int {
        let fm = FileManager.default
        let dr = Set(try fm.contentsOfDirectory(atPath: cluster.root + "/hsm-dr/tokens"))
        guard let folder = try fm.contentsOfDirectory(atPath: cluster.root + "/hsm/tokens").first(where: { !dr.contains($0) })
        else { return -1 }
        return try fm.contentsOfDirectory(atPath: cluster.root + "/hsm/tokens/" + folder)
            .filter { $0.hasSuffix(".object") && $0 != "token.object" }.count
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
