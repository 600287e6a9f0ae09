// Hostile input for the custody RPCs: M-of-N quorum (ProposeOperation, Approve, ListPending),
// Backup/Restore bundles and destruction under a DESTROY_KEY operation. The requests are hand-made
// by Tests/interop/breaker_custody.py (bad operation ids and digests, wrong roles, operations of
// another kind, replays, tampered and truncated bundles, floods); after every case a fresh client
// must find Health SERVING with every backend still in rotation, and sign.

import Foundation
import Testing
import TestSupport

@Suite("Abuse: custody (quorum, backup, restore)", .serialized, .timeLimit(.minutes(15)))
struct AbuseCustodyTests {
    /// Runs the cases whose names start with one of `prefixes` against a fresh server and checks
    /// every one passed and the server is still up.
    private func run(_ prefixes: [String]) async throws {
        let server = try await onOwnThread { try AbuseServer() }
        defer { server.stop() }
        let arguments = [server.devRoot, "\(server.port)", "\(server.pid)"] + prefixes
        let run = try await onOwnThread { try server.python("breaker_custody.py", arguments) }
        let lines = run.stdout.split(separator: "\n")
        let failures = lines.filter { $0.hasPrefix("FAIL") }.joined(separator: "\n")
        #expect(run.status == 0, "cases failed:\n\(failures)\n\(run.stderr.suffix(2000))")
        #expect(run.stdout.contains("passed"), "the harness did not finish: \(run.stdout.suffix(500)) \(run.stderr)")
        #expect(lines.contains { $0.hasPrefix("PASS") }, "no case ran for \(prefixes)")
        #expect(server.isRunning, "personahsmd died: \(server.output.suffix(2000))")
        let audit = try await onOwnThread { try server.verifyAudit() }
        #expect(audit.status == 0, "audit log does not verify: \(audit.stdout) \(audit.stderr)")
    }

    /// Approve with empty, huge, non-UTF-8, path-like and unknown ids, wrong digests, non-admin
    /// roles; approvals counting once per identity; execution with too few approvals, under an
    /// operation of another kind, for a different request, twice and concurrently; malformed and
    /// oversized proposals; a flood of proposals.
    @Test func quorumRefusesBadApprovalsAndReplays() async throws {
        try await run(["quorum/"])
    }

    /// Backup of unknown, non-backup and oversized key names; restore of empty, truncated,
    /// bit-flipped, wrong-magic, re-labelled and forged bundles (refused, nothing restored),
    /// bundles near the frame limit, unknown backends, the wrong operation kind, replays.
    @Test func bundlesRefuseTamperingAndReplays() async throws {
        try await run(["bundle/"])
    }
}
