// The scheduler against a real SoftHSM2 token: every operation kind, errors of each kind, deadlines,
// bounded queues and fairness between clients.

import Foundation
import HSMScheduler
import PKCS11
import TestSupport
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

@Suite("Scheduler administration")
struct SchedulerAdministrationTests {
    @Test("keys generated through an admin session sign through the workers")
    func generateThenSign() async throws {
        let scheduler = try HSMScheduler(backends: [TestHSM.backend("admin")])
        defer { scheduler.shutdown() }
        #expect(scheduler.backendNames == ["admin"])
        let id = TestHSM.newID()
        let publicKey = try await scheduler.withSession(backend: "admin") { session in
            let keys = try session.generateKey(.ecdsaP256, options: KeyOptions(id: id, label: "registry-key"))
            try session.storeData(Array("{\"name\":\"k\",\"version\":1}".utf8), application: "personahsm/test", label: "k")
            return try session.publicKey(of: keys.publicKey!)
        }
        let signature = try await scheduler.sign([1, 2, 3], key: KeyReference(id: id), mechanism: .ecdsaP256SHA256)
        #expect(OpenSSLCheck.verify(SignatureCase(key: publicKey, mechanism: .ecdsaP256SHA256, message: [1, 2, 3], signature: signature)))
        let metadata = try await scheduler.withSession(backend: "admin") { try $0.readData(application: "personahsm/test", label: "k") }
        #expect(metadata == Array("{\"name\":\"k\",\"version\":1}".utf8))
        await expectKind(.notFound) { _ = try await scheduler.withSession(backend: "nope") { _ in 1 } }
    }

    @Test("a re-created key (new object handle, same CKA_ID) is found again after the cached handle goes stale")
    func staleHandle() async throws {
        let label = "stale"
        let seed = (0..<32).map { _ in UInt8.random(in: 0...255) }
        let id = TestHSM.newID()
        let publicKey = try TestHSM.pythonEd25519Public(seed: seed)
        let session = try TestHSM.token(label).openSession()
        let first = try session.importKey(.ed25519(seed: seed), options: KeyOptions(id: id, label: "v1"), publicKey: publicKey)
        let scheduler = try HSMScheduler(backends: [TestHSM.backend(label, sessions: 1)])
        defer { scheduler.shutdown() }
        _ = try await scheduler.sign([1], key: KeyReference(id: id), mechanism: .ed25519)  // caches the handle
        try session.destroyObject(first.privateKey)
        try session.destroyObject(first.publicKey!)
        _ = try session.importKey(.ed25519(seed: seed), options: KeyOptions(id: id, label: "v1"), publicKey: publicKey)
        let signature = try await scheduler.sign([2], key: KeyReference(id: id), mechanism: .ed25519)
        #expect(OpenSSLCheck.verify(SignatureCase(key: publicKey, mechanism: .ed25519, message: [2], signature: signature)))
    }
}
