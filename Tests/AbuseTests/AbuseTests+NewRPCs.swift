// Hostile input for the RPCs added after the first abuse round: ImportKey (plaintext PKCS#8 in dev
// mode, wrapped PKCS#8 under the import key), Sign/SignBatch with digest_sha256, and
// Encrypt/Decrypt/GenerateDataKey with credential_id on DERIVE keys. The requests are hand-made by
// Tests/interop/breaker_newrpcs.py (so they can be wrong in ways the Swift client never is) and
// checked with pyca/cryptography; after every case a fresh client must find Health SERVING with
// every backend still in rotation, and sign.

import Foundation
import Testing
import TestSupport

@Suite("Abuse: new RPCs (import, digest, derived keys)", .serialized, .timeLimit(.minutes(15)))
struct AbuseNewRPCTests {
    /// Runs the cases whose names start with one of `prefixes` against a fresh server and checks
    /// every one passed and the server is still up.
    private func run(_ prefixes: [String]) async throws {
        let server = try await onOwnThread { try AbuseServer() }
        defer { server.stop() }
        let arguments = [server.devRoot, "\(server.port)", "\(server.pid)"] + prefixes
        let run = try await onOwnThread { try server.python("breaker_newrpcs.py", arguments) }
        let lines = run.stdout.split(separator: "\n")
        let failures = lines.filter { $0.hasPrefix("FAIL") }.joined(separator: "\n")
        #expect(run.status == 0, "cases failed:\n\(failures)\n\(run.stderr.suffix(2000))")
        #expect(run.stdout.contains("passed"), "the harness did not finish: \(run.stdout.suffix(500)) \(run.stderr)")
        #expect(lines.contains { $0.hasPrefix("PASS") }, "no case ran for \(prefixes)")
        #expect(server.isRunning, "personahsmd died: \(server.output.suffix(2000))")
    }

    /// ImportKey with plaintext PKCS#8: malformed, truncated, bit-flipped, huge, odd RSA sizes,
    /// other curves, algorithm/purpose mismatches, reserved/taken/bad names, and keys whose parts
    /// disagree with each other.
    @Test func plaintextImportRefusesBadKeys() async throws {
        try await run(["import/"])
    }

    /// ImportKey with wrapped PKCS#8: wrong sizes, tampered AES-KWP, garbage under a good wrap,
    /// keys of the wrong size/curve/type (which must leave nothing behind), Ed25519.
    @Test func wrappedImportRefusesBadBlobs() async throws {
        try await run(["wrapped/"])
    }

    /// digest_sha256 of every wrong length, on Ed25519 and non-signing keys, with bad CRC32C,
    /// both oneof members set, and SignBatch items mixing good and bad ones.
    @Test func digestSigningRefusesBadDigestsPerItem() async throws {
        try await run(["digest/", "batch/"])
    }

    /// credential_id missing, misplaced, oversized or not UTF-8; tampered boxes and other
    /// credentials' ids; 1000 credentials concurrently through the per-session derived-key LRU.
    @Test func derivedKeysStayPerCredential() async throws {
        try await run(["cred/"])
    }

    /// Roles without ImportKey, Sign or Crypto rights are refused for each new method.
    @Test func newMethodsEnforceRoles() async throws {
        try await run(["roles/"])
    }
}
