// Hostile and buggy-client input against a real personahsmd (child process, real TLS 1.3 with
// client certificates, real SoftHSM2 token). The frames are hand-made by Tests/interop/breaker_*.py
// so they can be wrong in ways the Swift client never is. Each test asserts the server answered
// with the right status (or closed that connection), kept serving others, did not leak fds or
// threads, and that its audit log still verifies.

import Foundation
import Testing
import TestSupport

@Suite("Abuse: malformed and hostile input", .timeLimit(.minutes(10)))
struct AbuseTests {
    /// Every case in breaker_abuse.py: framing, deadlines, sizes, protobuf garbage for every
    /// method, batch limits, enum and name validation, crypto input, idempotency, stream floods,
    /// TLS and plaintext probes, ops-port garbage. A fresh client health-checks and signs after each.
    @Test func everyAbuseCaseGetsAClearAnswerAndTheServerSurvives() async throws {
        let server = try await onOwnThread { try AbuseServer() }
        defer { server.stop() }
        let arguments = [server.devRoot, "\(server.port)", "\(server.opsPort)", "\(server.pid)"]
        // A first pass warms the server up (HSM worker processes, event loops and caches start
        // lazily); a leak shows as growth between the first and the second pass.
        let warmup = try await onOwnThread { try server.python("breaker_abuse.py", arguments) }
        #expect(warmup.status == 0, "abuse cases failed on the first pass: \(warmup.stdout.suffix(1000))")
        let before = try #require(server.resourceCounts())
        let run = try await onOwnThread { try server.python("breaker_abuse.py", arguments) }
        let failures = run.stdout.split(separator: "\n").filter { $0.hasPrefix("FAIL") }.joined(separator: "\n")
        #expect(run.status == 0, "abuse cases failed:\n\(failures)\n\(run.stderr)")
        #expect(run.stdout.contains("passed;"), "the harness did not finish: \(run.stdout.suffix(500)) \(run.stderr)")
        #expect(server.isRunning, "personahsmd died: \(server.output.suffix(2000))")
        let after = try #require(server.resourceCounts())
        #expect(after.fds <= before.fds + 8, "fds grew from \(before.fds) to \(after.fds)")
        #expect(after.threads <= before.threads + 8, "threads grew from \(before.threads) to \(after.threads)")
        let audit = try await onOwnThread { try server.verifyAudit() }
        #expect(audit.status == 0 && audit.stdout.contains(": OK"), "audit verify: \(audit.stdout) \(audit.stderr)")
    }

    /// Bug: rotation_period_seconds or wait_seconds near UInt64.max overflowed the registry's
    /// millisecond arithmetic and trapped, killing the server (and every caller's connection)
    /// with one CreateKey or ScheduleDestruction call, without an audit record.
    @Test func absurdRotationAndDestructionPeriodsAreRejectedNotFatal() async throws {
        let server = try await onOwnThread { try AbuseServer() }
        defer { server.stop() }
        let arguments = [server.devRoot, "\(server.port)", "\(server.opsPort)", "\(server.pid)",
                         "keys/rotation-period-max", "keys/schedule-destruction-wait-max"]
        let run = try await onOwnThread { try server.python("breaker_abuse.py", arguments) }
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").filter { $0.hasPrefix("PASS") || $0.hasPrefix("FAIL") }
        #expect(lines.count == 2, "\(run.stdout)")
        for line in lines {
            #expect(line.hasPrefix("PASS") && line.contains("INVALID_ARGUMENT") && line.contains("100 years"),
                    "\(line)")
        }
        #expect(server.isRunning, "personahsmd died: \(server.output.suffix(2000))")
    }

    /// Bug: a unary request sent without END_STREAM was parked outside the per-connection
    /// buffer limit, so one connection holding 40 x 4 MiB requests grew the server by ~170 MiB
    /// (1024 streams would pin 4 GiB). Now parked requests count against the 16 MiB budget and
    /// the ones that do not fit end with RESOURCE_EXHAUSTED.
    @Test func parkedUnaryRequestsStayWithinTheConnectionBudget() async throws {
        let server = try await onOwnThread { try AbuseServer() }
        defer { server.stop() }
        let arguments = [server.devRoot, "\(server.port)", "\(server.pid)", "40"]
        let run = try await onOwnThread { try server.python("breaker_unary_memory.py", arguments) }
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        let fields = Dictionary(uniqueKeysWithValues: run.stdout.split(whereSeparator: \.isWhitespace).compactMap {
            pair -> (String, Int)? in
            let parts = pair.split(separator: "=")
            guard parts.count == 2, let value = Int(parts[1]) else { return nil }
            return (String(parts[0]), value)
        })
        let growth = try #require(fields["growth_mb"], "\(run.stdout)")
        // 40 x 4 MiB = 160 MiB unbounded; the budget is 16 MiB plus the frame being read.
        #expect(growth < 80, "server RSS grew by \(growth) MiB for one connection")
        #expect(server.isRunning)
    }
}
