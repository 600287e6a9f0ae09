// The scheduler against a real SoftHSM2 token: every operation kind, errors of each kind, deadlines,
// bounded queues and fairness between clients.

import Foundation
import HSMScheduler
import PKCS11
import Testing

@Suite("Scheduler basics")
struct SchedulerBasicsTests {
    @Test("signs, encrypts and decrypts through worker threads; signatures verify twice")
    func operations() async throws {
        let (ed, edPub) = try TestHSM.key(.ed25519, on: ["basics"])
        let (ec, ecPub) = try TestHSM.key(.ecdsaP256, on: ["basics"])
        let (rsa, rsaPub) = try TestHSM.key(.rsa2048, on: ["basics"])
        let (aes, _) = try TestHSM.key(.aes256, on: ["basics"])
        let scheduler = try HSMScheduler(backends: [TestHSM.backend("basics", sessions: 3)])
        defer { scheduler.shutdown() }
        var cases: [SignatureCase] = []
        try await withThrowingTaskGroup(of: SignatureCase.self) { group in
            for i in 0..<60 {
                group.addTask {
                    let message = Array("message \(i)".utf8)
                    let (key, pub, mechanism): (KeyReference, PublicKey?, SignatureMechanism) = switch i % 4 {
                    case 0: (ed, edPub, .ed25519)
                    case 1: (ec, ecPub, .ecdsaP256SHA256)
                    case 2: (rsa, rsaPub, .rsaPKCS1SHA256)
                    default: (rsa, rsaPub, .rsaPSSSHA256)
                    }
                    let signature = try await scheduler.sign(message, key: key, mechanism: mechanism, client: "c\(i % 3)")
                    return SignatureCase(key: pub!, mechanism: mechanism, message: message, signature: signature)
                }
            }
            for try await c in group { cases.append(c) }
        }
        #expect(cases.count == 60)
        #expect(cases.allSatisfy(OpenSSLCheck.verify))
        let (status, output) = try PythonCheck.verify(cases)
        #expect(status == 0, "\(output)")
        let box = try await scheduler.encrypt(Array("secret".utf8), aad: [1], key: aes)
        #expect(box.iv.count == 12)
        #expect(try await scheduler.decrypt(box, aad: [1], key: aes) == Array("secret".utf8))
        let der = try await scheduler.sign([7], key: ec, mechanism: .ecdsaP256SHA256, ecdsaFormat: .der)
        #expect(OpenSSLCheck.verify(SignatureCase(key: ecPub!, mechanism: .ecdsaP256SHA256, message: [7], signature: der, derECDSA: true)))
    }

    @Test("errors carry the right kind")
    func errorKinds() async throws {
        let (ed, _) = try TestHSM.key(.ed25519, on: ["kinds"])
        let (aes, _) = try TestHSM.key(.aes256, on: ["kinds"])
        let scheduler = try HSMScheduler(backends: [TestHSM.backend("kinds")])
        defer { scheduler.shutdown() }
        await expectKind(.notFound) { _ = try await scheduler.sign([1], key: KeyReference(id: [9, 9, 9]), mechanism: .ed25519) }
        await expectKind(.invalidArgument) { _ = try await scheduler.sign([1], key: ed, mechanism: .rsaPSSSHA256) }
        var box = try await scheduler.encrypt([1, 2], key: aes)
        box.tag[0] ^= 1
        await expectKind(.invalidArgument) { _ = try await scheduler.decrypt(box, key: aes) }
        await expectKind(.deadlineExceeded) {
            _ = try await scheduler.sign([1], key: ed, mechanism: .ed25519, deadline: .now - .milliseconds(1))
        }
        // The scheduler still works after all of that.
        #expect(try await scheduler.sign([1], key: ed, mechanism: .ed25519).count == 64)
    }

    @Test("full queues push back with a retry hint; nothing queued is lost")
    func queueFull() async throws {
        let (ed, _) = try TestHSM.key(.ed25519, on: ["full"])
        var config = SchedulerConfiguration()
        config.queueCapacity = 8
        config.perClientQueueLimit = 8
        config.batchSize = 1
        let scheduler = try HSMScheduler(configuration: config, backends: [TestHSM.backend("full", sessions: 1)])
        defer { scheduler.shutdown() }
        let results = await withTaskGroup(of: Result<Int, HSMError>.self) { group in
            for _ in 0..<300 {
                group.addTask {
                    do { return .success(try await scheduler.sign([1], key: ed, mechanism: .ed25519).count) }
                    catch let e as HSMError { return .failure(e) } catch { return .failure(HSMError(.internal, "\(error)")) }
                }
            }
            var all: [Result<Int, HSMError>] = []
            for await r in group { all.append(r) }
            return all
        }
        let full = results.compactMap { r -> Duration? in
            if case .failure(let e) = r, case .queueFull(let retry) = e.kind { return retry }
            return nil
        }
        let ok = results.filter { if case .success(64) = $0 { true } else { false } }.count
        #expect(full.count > 0, "expected some queueFull")
        #expect(full.allSatisfy { $0 > .zero })
        #expect(ok + full.count == 300, "every request either signed or was refused with queueFull")
    }

    @Test("a bulk client does not starve an interactive one")
    func fairness() async throws {
        let (ed, _) = try TestHSM.key(.ed25519, on: ["fair"])
        var config = SchedulerConfiguration()
        config.batchSize = 8
        let scheduler = try HSMScheduler(configuration: config, backends: [TestHSM.backend("fair", sessions: 1)])
        defer { scheduler.shutdown() }
        let order = OrderLog()
        await withTaskGroup(of: Void.self) { group in
            for i in 0..<1500 {
                group.addTask {
                    _ = try? await scheduler.sign([UInt8(i & 255)], key: ed, mechanism: .ed25519, client: "bulk")
                    await order.add("bulk")
                }
            }
            // Let the bulk queue build up, then send interactive traffic.
            try? await Task.sleep(for: .milliseconds(50))
            for _ in 0..<10 {
                group.addTask {
                    _ = try? await scheduler.sign([1], key: ed, mechanism: .ed25519, client: "interactive")
                    await order.add("interactive")
                }
            }
        }
        let log = await order.entries
        let lastInteractive = try #require(log.lastIndex(of: "interactive"))
        let firstInteractive = try #require(log.firstIndex(of: "interactive"))
        // Round-robin: interactive requests finish interleaved with bulk ones, long before the bulk tail.
        #expect(lastInteractive - firstInteractive < 200, "interactive spread \(firstInteractive)...\(lastInteractive)")
        #expect(lastInteractive < log.count - 300, "interactive finished at \(lastInteractive) of \(log.count)")
    }
}

actor OrderLog {
    var entries: [String] = []
    func add(_ s: String) { entries.append(s) }
}

func expectKind(_ kind: HSMError.Kind, sourceLocation: SourceLocation = #_sourceLocation,
                _ body: () async throws -> Void) async {
    do {
        try await body()
        Issue.record("expected \(kind), got success", sourceLocation: sourceLocation)
    } catch let error as HSMError {
        #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
    }
}
