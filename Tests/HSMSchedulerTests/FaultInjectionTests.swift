// Failover and recovery against the fault-injecting module: a backend failing or hanging mid-load
// leaves rotation and its traffic moves to the other backend within a second with no request lost;
// invalidated sessions and a removed device recover; the session limit is respected.

import Foundation
import HSMScheduler
import PKCS11
import TestSupport
import Synchronization
import Testing

@Suite("Fault injection", .serialized)
struct FaultInjectionTests {
    /// Signs continuously from `clients` tasks until `stop` is set; returns every signature and error.
    static func load(_ scheduler: HSMScheduler, key: KeyReference, clients: Int, control: LoadControl) async -> (ok: [([UInt8], [UInt8])], errors: [String]) {
        await withTaskGroup(of: ([([UInt8], [UInt8])], [String]).self) { group in
            for c in 0..<clients {
                group.addTask {
                    var ok: [([UInt8], [UInt8])] = [], errors: [String] = []
                    var i = 0
                    while !control.stop.load(ordering: .relaxed) {
                        let message = Array("c\(c) m\(i)".utf8)
                        i += 1
                        do {
                            let sig = try await scheduler.sign(message, key: key, mechanism: .ed25519, client: "c\(c)")
                            ok.append((message, sig))
                            control.count.add(1, ordering: .relaxed)
                        } catch {
                            errors.append("\(error)")
                        }
                    }
                    return (ok, errors)
                }
            }
            var ok: [([UInt8], [UInt8])] = [], errors: [String] = []
            for await (o, e) in group { ok += o; errors += e }
            return (ok, errors)
        }
    }

    static func waitUntil(timeout: Duration, _ condition: () -> Bool) async -> Duration? {
        // Polls; the result is only as precise as this task's scheduling.
        let start = ContinuousClock.now
        while ContinuousClock.now - start < timeout {
            if condition() { return ContinuousClock.now - start }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return nil
    }

    static func status(_ s: HSMScheduler, _ name: String) -> BackendStatus { s.backendStatus().first { $0.name == name }! }

    @Test("a backend failing mid-load leaves rotation within 1 s; no request is lost",
          .serialized, arguments: ["device_error", "hang", "device_removed"])
    func failover(fault: String) async throws {
        let a = "fo-a-\(fault)", b = "fo-b-\(fault)"
        let (key, publicKey) = try TestHSM.sharedEd25519(on: [a, b])
        var config = SchedulerConfiguration()
        config.healthInterval = .milliseconds(50)
        config.hangTimeout = .milliseconds(300)
        config.probeTimeout = .milliseconds(250)
        let scheduler = try HSMScheduler(configuration: config, backends: [
            FaultModule.backend(a, sessions: 2, healthKey: key), FaultModule.backend(b, sessions: 2, healthKey: key),
        ])
        defer { scheduler.shutdown() }
        let control = LoadControl()
        async let result = Self.load(scheduler, key: key, clients: 8, control: control)
        // Other suites may keep the cooperative pool busy: wait generously for warm-up, and time
        // the failover with the scheduler's own timestamps, not with this task's polling.
        let warm = await Self.waitUntil(timeout: .seconds(30)) {
            Self.status(scheduler, a).completed > 50 && Self.status(scheduler, b).completed > 50
        }
        #expect(warm != nil, "both backends served traffic before the fault: \(scheduler.backendStatus())")
        let faultAt = ContinuousClock.now
        FaultModule.set(a, ["fault": fault])
        let out = await Self.waitUntil(timeout: .seconds(10)) { !Self.status(scheduler, a).healthy }
        #expect(out != nil, "backend A still in rotation after \(fault): \(scheduler.backendStatus())")
        let tookOut = Self.status(scheduler, a).healthChangedAt - faultAt
        #expect(tookOut < .seconds(1), "backend A left rotation \(tookOut) after \(fault)")
        let aFrozen = Self.status(scheduler, a).completed
        let bBefore = Self.status(scheduler, b).completed
        let moved = await Self.waitUntil(timeout: .seconds(10)) { Self.status(scheduler, b).completed > bBefore + 50 }
        #expect(moved != nil, "traffic moved to B: \(scheduler.backendStatus())")
        #expect(Self.status(scheduler, a).completed <= aFrozen + 2 * 64, "A took no new work while out of rotation")
        FaultModule.set(a, [:])
        let backAfter = await Self.waitUntil(timeout: .seconds(10)) { Self.status(scheduler, a).healthy }
        #expect(backAfter != nil, "backend A did not come back after the fault cleared")
        let aBack = Self.status(scheduler, a).completed
        _ = await Self.waitUntil(timeout: .seconds(10)) { Self.status(scheduler, a).completed > aBack + 20 }
        control.stop.store(true, ordering: .relaxed)
        let (ok, errors) = await result
        #expect(errors.isEmpty, "\(errors.count) requests failed: \(errors.prefix(3))")
        #expect(Self.status(scheduler, a).completed > aBack, "A serves again after recovery")
        #expect(ok.count == control.count.load(ordering: .relaxed) && ok.count > 200)
        let cases = ok.map { SignatureCase(key: publicKey, mechanism: .ed25519, message: $0.0, signature: $0.1) }
        #expect(cases.allSatisfy(OpenSSLCheck.verify))
        let (status, output) = try PythonCheck.verify(Array(cases.prefix(300)))
        #expect(status == 0, "\(output)")
    }

    @Test("recoverable errors mid-run are recovered without errors or leaked sessions",
          arguments: ["session_invalid", "operation_active", "not_initialized", "object_invalid"])
    func recovery(fault: String) async throws {
        let label = "recover-\(fault)"
        let (key, publicKey) = try TestHSM.key(.ed25519, on: [label])
        let scheduler = try HSMScheduler(backends: [FaultModule.backend(label, sessions: 3)])
        // Warm up without faults so sessions and key handles are cached, then inject.
        _ = try await scheduler.sign([0], key: key, mechanism: .ed25519)
        let generation = try PKCS11Module.load(path: FaultModule.path).generation
        FaultModule.set(label, ["fault": fault, "fault_every": "7"])
        var cases: [SignatureCase] = []
        try await withThrowingTaskGroup(of: SignatureCase.self) { group in
            for i in 0..<400 {
                group.addTask {
                    let m = Array("m\(i)".utf8)
                    return SignatureCase(key: publicKey!, mechanism: .ed25519, message: m,
                                         signature: try await scheduler.sign(m, key: key, mechanism: .ed25519, client: "c\(i % 5)"))
                }
            }
            for try await c in group { cases.append(c) }
        }
        FaultModule.set(label, [:])
        #expect(cases.count == 400 && cases.allSatisfy(OpenSSLCheck.verify))
        #expect(Self.status(scheduler, label).healthy)
        if fault == "not_initialized" {
            #expect(try PKCS11Module.load(path: FaultModule.path).generation > generation, "the module was re-initialised")
        }
        scheduler.shutdown()
        // Only the process-wide login anchor stays open.
        #expect(try FaultModule.openSessions(label) == 1)
    }

    @Test("the pool respects the token's session limit")
    func sessionLimit() async throws {
        let label = "limit"
        let (key, _) = try TestHSM.key(.ed25519, on: [label])
        let scheduler = try HSMScheduler(backends: [FaultModule.backend(label, sessions: 10, settings: ["max_sessions": "5"])])
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<200 { group.addTask { try await scheduler.sign([1], key: key, mechanism: .ed25519).count } }
            for try await n in group { #expect(n == 64) }
        }
        #expect(try FaultModule.openSessions(label) <= 5)
        scheduler.shutdown()
    }
}

/// Shared flags of a load run.
final class LoadControl: Sendable {
    let stop = Atomic<Bool>(false)
    let count = Atomic<Int>(0)
}
