// The audit crash test: 16 clients sign concurrently against a personahsmd child process, which is
// killed with SIGKILL mid-run. Every signature any client received must have its audit record
// (matched by signature_sha256), `personahsm audit verify` must pass over the whole log, a torn
// tail must be reported and then repaired by the next start (docs/AUDIT.md §7), and the log must
// verify again after the restarted server signed and shut down cleanly.

import Foundation
import PersonaClient
import PersonaProtos
import RPCCore
import SoftCrypto
import Synchronization
import TestSupport
import Testing

extension AuditDurabilityEndToEndTests {
    @Suite("Audit crash: kill -9 while 16 clients sign")
    struct Crash {
        @Test("Every received signature is audited; the log verifies before and after repair")
        func killNineWhileSigning() async throws {
            let root = NSTemporaryDirectory() + "personahsm-crash-\(UInt32.random(in: 0...UInt32.max))"
            defer { try? FileManager.default.removeItem(atPath: root) }
            let server = try ServerProcess(devRoot: root)
            let admin = try PersonaConnection(.dev(role: "admin", root: root, endpoint: server.endpoint))
            _ = try await admin.keys.createKey(CreateKeyRequest(name: "crash-ed25519", algorithm: .ed25519))
            _ = try await admin.keys.createKey(CreateKeyRequest(name: "crash-p256", algorithm: .ecdsaP256Sha256))
            await admin.close()

            let shared = CrashRun()
            let clients = 16
            let signers = (0..<clients).map { client in
                Task { () -> Int in
                    let connection = try PersonaConnection(.dev(role: "issuer", root: root, endpoint: server.endpoint))
                    defer { Task { await connection.close() } }
                    var count = 0
                    while !shared.stop.load(ordering: .acquiring) {
                        let message = Array("client \(client) document \(count)".utf8)
                        do {
                            let signed = try await connection.signing.sign(
                                SignRequest(keyName: client % 4 == 0 ? "crash-p256" : "crash-ed25519", input: .data(message)),
                                options: CallOptions(timeout: .seconds(2)))
                            shared.received.withLock { $0.append(SHA256.hash(signed.signature).hexString) }
                            count += 1
                        } catch {
                            break  // the server is gone
                        }
                    }
                    return count
                }
            }
            // Let the clients get going, then kill the server in the middle of their traffic.
            let started = ContinuousClock.now
            while shared.received.withLock({ $0.count }) < 400, ContinuousClock.now - started < .seconds(5) {
                try await Task.sleep(for: .milliseconds(20))
            }
            server.kill9()
            shared.stop.store(true, ordering: .releasing)
            var perClient: [Int] = []
            for signer in signers { perClient.append((try? await signer.value) ?? -1) }
            let signatures = shared.received.withLock { $0 }
            print("crash test: \(signatures.count) signatures received by \(clients) clients before SIGKILL: \(perClient)")
            #expect(perClient.allSatisfy { $0 > 0 }, "every client signed before the kill")
            #expect(signatures.count >= 100)

            // Every signature a client received has its durable record.
            let crashed = try AuditFile(path: server.auditPath)
            let audited = crashed.signatureDigests
            let missing = signatures.filter { !audited.contains($0) }
            #expect(missing.isEmpty, "\(missing.count) of \(signatures.count) received signatures have no audit record")

            var report = try Self.verifyWithCLI(server.auditPath)
            #expect(report["valid"] as? Bool == true, "\(report)")
            #expect(report["signatures_checked"] as? Bool == true)
            // SIGKILL leaves a torn tail only when it lands between the partial writes of one batch
            // (the kernel keeps whatever a finished write() handed it). When this kill did not, append
            // half a line, which is what a power cut in the middle of the next batch leaves behind.
            if report["torn_tail"] == nil {
                let lastLine = try #require(String(contentsOfFile: server.auditPath, encoding: .utf8)
                    .split(separator: "\n").last)
                let handle = try #require(FileHandle(forWritingAtPath: server.auditPath))
                try handle.seekToEnd()
                try handle.write(contentsOf: Data(lastLine.utf8.prefix(lastLine.utf8.count / 2)))
                try handle.close()
                print("crash test: SIGKILL left no torn tail this run; appended half a record as a power cut would")
                report = try Self.verifyWithCLI(server.auditPath)
            } else {
                print("crash test: SIGKILL left a torn tail: \(report["torn_tail"]!)")
            }
            #expect(report["valid"] as? Bool == true, "a torn tail alone does not fail verification: \(report)")
            let torn = try #require(report["torn_tail"] as? [String: Any], "the torn tail is reported")
            let tornBytes = try #require((torn["bytes"] as? NSNumber)?.intValue)
            #expect(tornBytes > 0)

            // Restart on the same dev root: open moves the torn tail aside and records the repair.
            let restarted = try ServerProcess(devRoot: root)
            let issuer = try PersonaConnection(.dev(role: "issuer", root: root, endpoint: restarted.endpoint))
            let after = try await issuer.signing.sign(SignRequest(keyName: "crash-ed25519", input: .data(Array("after".utf8))))
            await issuer.close()
            #expect(restarted.terminate() == 0, "graceful stop: \(restarted.log)")

            let repaired = try Self.verifyWithCLI(restarted.auditPath)
            #expect(repaired["valid"] as? Bool == true, "\(repaired)")
            #expect(repaired["torn_tail"] == nil, "the torn tail was removed: \(repaired)")
            let file = try AuditFile(path: restarted.auditPath)
            #expect(file.tail.isEmpty)
            let recovery = try #require(file.records.first { $0["type"] as? String == "recovery" }, "a recovery record")
            let counters = try #require(recovery["extra"] as? [String: Any], "\(recovery)")
            #expect((counters["torn_tail_bytes"] as? String).flatMap(Int.init) == tornBytes, "\(recovery)")
            let tornFile = try #require(counters["torn_tail_file"] as? String)
            #expect(FileManager.default.fileExists(atPath: tornFile), "the torn bytes were kept at \(tornFile)")
            #expect((try? Data(contentsOf: URL(fileURLWithPath: tornFile)).count) == tornBytes)
            let everything = file.signatureDigests
            #expect(signatures.allSatisfy { everything.contains($0) }, "no record was lost by the repair")
            #expect(everything.contains(SHA256.hash(after.signature).hexString))
            #expect(file.records.last?["type"] as? String == "checkpoint", "a clean stop ends with a signed checkpoint")
        }

        /// What the signing clients share: the SHA-256 of every signature received, and the stop flag.
        final class CrashRun: Sendable {
            let received = Mutex<[String]>([])
            let stop = Atomic<Bool>(false)
        }

        /// `personahsm audit verify LOG --json`, parsed.
        static func verifyWithCLI(_ log: String) throws -> [String: Any] {
            let result = try Subprocess.run(try ServerProcess.binary("personahsm"), ["audit", "verify", log, "--json"])
            guard let object = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] else {
                throw ServerProcessError("audit verify printed no JSON (status \(result.status)): \(result.stdout) \(result.stderr)")
            }
            #expect((result.status == 0) == ((object["valid"] as? Bool) == true),
                    "exit status \(result.status) matches the verdict")
            return object
        }
    }
}
