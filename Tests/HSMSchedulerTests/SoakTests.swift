// Concurrency soak: 32 clients sign a mix of Ed25519, ECDSA P-256 and RSA (PKCS#1 v1.5 and PSS)
// for PERSONAHSM_SOAK_SECONDS (default 10 s; the acceptance run uses 60) against a pool capped at 16
// sessions by the token (fault module max_sessions). Expect zero errors, every signature valid, the
// session limit never exceeded, and no session left open after shutdown.

import Foundation
import HSMScheduler
import PKCS11
import TestSupport
import Synchronization
import Testing

@Suite("Soak")
struct SoakTests {
    static var seconds: Double {
        Double(ProcessInfo.processInfo.environment["PERSONAHSM_SOAK_SECONDS"] ?? "") ?? 10
    }

    @Test("32 clients of mixed signing against 16 sessions: zero errors, no leaked sessions")
    func soak() async throws {
        let label = "soak"
        let (ed, edPub) = try TestHSM.key(.ed25519, on: [label])
        let (ec, ecPub) = try TestHSM.key(.ecdsaP256, on: [label])
        let (rsa, rsaPub) = try TestHSM.key(.rsa2048, on: [label])
        // 16 worker sessions + the login anchor + the health probe.
        let backend = try FaultModule.backend(label, sessions: 32, healthKey: ed, settings: ["max_sessions": "18"])
        let scheduler = try HSMScheduler(backends: [backend])
        #expect(scheduler.backendStatus().count == 1)
        let seconds = Self.seconds
        let peak = Atomic<Int>(0)
        let sampler = Task.detached {
            let until = ContinuousClock.now + .seconds(seconds)
            while ContinuousClock.now < until {
                if let n = try? FaultModule.openSessions(label) { peak.max(n) }
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
        let results = try await withThrowingTaskGroup(of: ([SignatureCase], [String]).self) { group in
            for client in 0..<32 {
                group.addTask {
                    var cases: [SignatureCase] = [], errors: [String] = []
                    var i = 0
                    // Each client runs its full time from when it actually starts.
                    let deadline = ContinuousClock.now + .seconds(seconds)
                    while ContinuousClock.now < deadline {
                        i += 1
                        let message = Array("client \(client) message \(i)".utf8)
                        let (key, pub, mechanism): (KeyReference, PublicKey?, SignatureMechanism) = switch (client + i) % 8 {
                        case 0, 1, 2, 3: (ed, edPub, .ed25519)
                        case 4, 5: (ec, ecPub, .ecdsaP256SHA256)
                        case 6: (rsa, rsaPub, .rsaPKCS1SHA256)
                        default: (rsa, rsaPub, .rsaPSSSHA256)
                        }
                        do {
                            let signature = try await scheduler.sign(message, key: key, mechanism: mechanism, client: "client-\(client)")
                            cases.append(SignatureCase(key: pub!, mechanism: mechanism, message: message, signature: signature))
                        } catch {
                            errors.append("\(error)")
                        }
                    }
                    return (cases, errors)
                }
            }
            var all: ([SignatureCase], [String]) = ([], [])
            for try await (c, e) in group { all.0 += c; all.1 += e }
            return all
        }
        await sampler.value
        let (cases, errors) = results
        #expect(errors.isEmpty, "\(errors.count) errors, e.g. \(errors.prefix(3))")
        #expect(cases.count > 100)
        let invalid = cases.filter { !OpenSSLCheck.verify($0) }.count
        #expect(invalid == 0, "\(invalid) of \(cases.count) signatures failed OpenSSL verification")
        let sample = stride(from: 0, to: cases.count, by: max(1, cases.count / 400)).map { cases[$0] }
        let (status, output) = try PythonCheck.verify(sample)
        #expect(status == 0, "\(output)")
        #expect(peak.load(ordering: .relaxed) <= 18, "peak sessions \(peak.load(ordering: .relaxed))")
        scheduler.shutdown()
        #expect(try FaultModule.openSessions(label) == 1, "sessions left open after shutdown")
    }
}

extension Atomic<Int> {
    func max(_ value: Int) {
        var current = load(ordering: .relaxed)
        while value > current {
            let (exchanged, original) = compareExchange(expected: current, desired: value, ordering: .relaxed)
            if exchanged { break }
            current = original
        }
    }
}
