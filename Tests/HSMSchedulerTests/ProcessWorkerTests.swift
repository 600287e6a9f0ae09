// HSM worker processes: the same scheduler with each session in a `personahsm-hsm-worker` child.
// Results must be identical in kind to in-process workers, the framing must carry every operation
// and error, and a backend whose worker process hangs is failed over and its child killed.

import Foundation
import HSMScheduler
import PKCS11
import TestSupport
import Testing

@Suite("Worker processes", .serialized)
struct ProcessWorkerTests {
    static let mode = WorkerMode.processes(executable: WorkerMode.defaultWorkerExecutable)

    @Test("every operation and error kind crosses the process boundary")
    func operations() async throws {
        let label = "proc-ops"
        let (ed, edPub) = try TestHSM.key(.ed25519, on: [label])
        let (ec, ecPub) = try TestHSM.key(.ecdsaP256, on: [label])
        let (rsa, rsaPub) = try TestHSM.key(.rsa3072, on: [label])
        let (aes, _) = try TestHSM.key(.aes256, on: [label])
        let scheduler = try HSMScheduler(backends: [TestHSM.backend(label, sessions: 2, mode: Self.mode)])
        defer { scheduler.shutdown() }
        var cases: [SignatureCase] = []
        for (key, pub, mechanism) in [(ed, edPub, SignatureMechanism.ed25519), (ec, ecPub, .ecdsaP256SHA256),
                                      (rsa, rsaPub, .rsaPKCS1SHA256), (rsa, rsaPub, .rsaPSSSHA256)] {
            let message = Array("process \(mechanism)".utf8)
            let signature = try await scheduler.sign(message, key: key, mechanism: mechanism)
            cases.append(SignatureCase(key: pub!, mechanism: mechanism, message: message, signature: signature))
        }
        let der = try await scheduler.sign([5], key: ec, mechanism: .ecdsaP256SHA256, ecdsaFormat: .der)
        cases.append(SignatureCase(key: ecPub!, mechanism: .ecdsaP256SHA256, message: [5], signature: der, derECDSA: true))
        #expect(cases.allSatisfy(OpenSSLCheck.verify))
        let (status, output) = try PythonCheck.verify(cases)
        #expect(status == 0, "\(output)")
        let box = try await scheduler.encrypt(Array("across".utf8), aad: [3], key: aes)
        #expect(try await scheduler.decrypt(box, aad: [3], key: aes) == Array("across".utf8))
        var bad = box
        bad.tag[15] ^= 0x80
        await expectKind(.invalidArgument) { _ = try await scheduler.decrypt(bad, aad: [3], key: aes) }
        await expectKind(.notFound) { _ = try await scheduler.sign([1], key: KeyReference(id: [1, 2]), mechanism: .ed25519) }
        await expectKind(.invalidArgument) { _ = try await scheduler.sign([1], key: ed, mechanism: .ecdsaP256SHA256) }
        // Many in flight: batches of many requests per round trip.
        let signatures = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<500 { group.addTask { try await scheduler.sign([UInt8(i & 255)], key: ed, mechanism: .ed25519).count } }
            var total = 0
            for try await n in group { total += n }
            return total
        }
        #expect(signatures == 500 * 64)
    }

    @Test("a hung worker process is killed and its backend's traffic fails over without loss")
    func hangFailover() async throws {
        let a = "proc-hang-a", b = "proc-hang-b"
        let (key, publicKey) = try TestHSM.sharedEd25519(on: [a, b])
        var config = SchedulerConfiguration()
        config.healthInterval = .milliseconds(50)
        config.hangTimeout = .milliseconds(400)
        config.probeTimeout = .milliseconds(400)
        let scheduler = try HSMScheduler(configuration: config, backends: [
            FaultModule.backend(a, sessions: 2, healthKey: key, mode: Self.mode),
            FaultModule.backend(b, sessions: 2, healthKey: key, mode: Self.mode),
        ])
        defer { scheduler.shutdown() }
        let control = LoadControl()
        async let result = FaultInjectionTests.load(scheduler, key: key, clients: 8, control: control)
        let warm = await FaultInjectionTests.waitUntil(timeout: .seconds(30)) {
            FaultInjectionTests.status(scheduler, a).completed > 50 && FaultInjectionTests.status(scheduler, b).completed > 50
        }
        #expect(warm != nil, "\(scheduler.backendStatus())")
        let faultAt = ContinuousClock.now
        FaultModule.set(a, ["fault": "hang"])
        let out = await FaultInjectionTests.waitUntil(timeout: .seconds(10)) { !FaultInjectionTests.status(scheduler, a).healthy }
        #expect(out != nil, "A still in rotation: \(scheduler.backendStatus())")
        let tookOut = FaultInjectionTests.status(scheduler, a).healthChangedAt - faultAt
        #expect(tookOut < .seconds(1), "A left rotation \(tookOut) after the hang began")
        try await Task.sleep(for: .milliseconds(300))
        FaultModule.set(a, [:])
        let back = await FaultInjectionTests.waitUntil(timeout: .seconds(10)) { FaultInjectionTests.status(scheduler, a).healthy }
        #expect(back != nil, "A did not come back: \(scheduler.backendStatus())")
        try await Task.sleep(for: .milliseconds(300))
        control.stop.store(true, ordering: .relaxed)
        let (ok, errors) = await result
        #expect(errors.isEmpty, "\(errors.count) failed: \(errors.prefix(3))")
        let cases = ok.map { SignatureCase(key: publicKey, mechanism: .ed25519, message: $0.0, signature: $0.1) }
        #expect(cases.count > 100 && cases.allSatisfy(OpenSSLCheck.verify))
    }

    @Test("a batch submitted in one call comes back in order, with per-item errors, through pipelined workers")
    func batchSubmission() async throws {
        let label = "proc-batch"
        let (ed, edPub) = try TestHSM.key(.ed25519, on: [label])
        let (ec, ecPub) = try TestHSM.key(.ecdsaP256, on: [label])
        var config = SchedulerConfiguration()
        config.batchSize = 16  // several frames per batch call, so workers pipeline them
        let scheduler = try HSMScheduler(configuration: config, backends: [TestHSM.backend(label, sessions: 2, mode: Self.mode)])
        defer { scheduler.shutdown() }
        let messages = (0..<300).map { Array("batch item \($0)".utf8) }
        // Several batch callers at once, mixing algorithms.
        async let edResults = scheduler.signBatch(messages, key: ed, mechanism: .ed25519, client: "a")
        async let ecResults = scheduler.signBatch(messages, key: ec, mechanism: .ecdsaP256SHA256, client: "b")
        let (edSigned, ecSigned) = await (edResults, ecResults)
        #expect(edSigned.count == messages.count && ecSigned.count == messages.count)
        var cases: [SignatureCase] = []
        for (i, message) in messages.enumerated() {
            guard case .success(let e) = edSigned[i], case .success(let c) = ecSigned[i] else {
                Issue.record("item \(i) failed: \(edSigned[i]) \(ecSigned[i])")
                return
            }
            cases.append(SignatureCase(key: edPub!, mechanism: .ed25519, message: message, signature: e))
            cases.append(SignatureCase(key: ecPub!, mechanism: .ecdsaP256SHA256, message: message, signature: c))
        }
        // Each signature verifies against its own message: results are in submission order.
        #expect(cases.allSatisfy(OpenSSLCheck.verify))
        // Per-item failures do not fail the batch: a wrong mechanism for the key, and an expired deadline.
        let wrong = await scheduler.signBatch([[1], [2]], key: ed, mechanism: .ecdsaP256SHA256)
        #expect(wrong.allSatisfy { if case .failure(let e) = $0 { return e.kind == .invalidArgument } else { return false } })
        let late = await scheduler.signBatch([[1]], key: ed, mechanism: .ed25519, deadline: .now - .seconds(1))
        #expect({ if case .failure(let e) = late[0] { return e.kind == .deadlineExceeded } else { return false } }())
        #expect(await scheduler.signBatch([], key: ed, mechanism: .ed25519).isEmpty)
    }
}
