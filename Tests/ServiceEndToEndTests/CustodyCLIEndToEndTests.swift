// The `personahsm admin` commands as an operator runs them (the real binary as a child process,
// against an in-process server with the test PKI): propose, an approver recomputing the digest
// offline with `admin digest`, approvals from two identities, `admin pending --json`, a backup
// written to a file that parses as a bundle, and a restore that reports the key as present.

import Custody
import Foundation
import PersonaProtos
import Testing
import TestSupport

@Suite("Custody: personahsm admin CLI end to end", .serialized)
struct CustodyCLIEndToEndTests {
    static func cli(_ server: InProcessServer, as role: String, _ arguments: [String]) throws -> SubprocessResult {
        let pki = server.root + "/pki"
        return try Subprocess.run(try ServerProcess.binary("personahsm"), arguments + [
            "--server", server.endpoint, "--tls-cert", "\(pki)/\(role).pem", "--tls-key", "\(pki)/\(role).key",
            "--tls-ca", "\(pki)/ca.pem"])
    }

    static func json(_ result: SubprocessResult) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result)")
    }

    @Test("propose, digest, approve twice, pending, backup to a file, restore")
    func adminFlow() async throws {
        let server = try await InProcessServer.start(tokenLabel: "e2e-cli", custody: try CustodyQuorumEndToEndTests.custody(
            vault: "e2e-cli-vault"))
        do {
            _ = try await server.connect(as: "admin").keys.createKey(CreateKeyRequest(name: "cli-ed", algorithm: .ed25519,
                                                                                     allowBackup: true))
            let proposed = try Self.json(try Self.cli(server, as: "admin", ["admin", "propose", "backup", "--key", "cli-ed",
                                                                           "--justification", "test", "--json"]))
            let id = try #require(proposed["operation_id"] as? String)
            // Offline: no server options.
            let digest = try Subprocess.run(try ServerProcess.binary("personahsm"), ["admin", "digest", "backup", "--key", "cli-ed"])
            #expect(digest.status == 0 && digest.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                == proposed["request_sha256"] as? String, "offline digest \(digest.stdout) vs \(proposed)")
            let hex = digest.stdout.trimmingCharacters(in: .whitespacesAndNewlines)

            let early = try Self.cli(server, as: "admin", ["admin", "backup", "--key", "cli-ed", "--operation", id,
                                                           "--out", server.root + "/early.bundle"])
            #expect(early.status == 2 && early.stderr.contains("FAILED_PRECONDITION"), "\(early)")
            let wrong = try Self.cli(server, as: "admin2", ["admin", "approve", id, "--sha256", String(repeating: "0", count: 64)])
            #expect(wrong.status == 2 && wrong.stderr.contains("does not match"), "\(wrong)")
            for role in ["admin", "admin2"] {
                let approved = try Self.cli(server, as: role, ["admin", "approve", id, "--sha256", hex, "--json"])
                #expect(approved.status == 0, "\(approved)")
            }
            let pending = try Self.cli(server, as: "auditor", ["admin", "pending", "--json"])
            let listed = try #require(try JSONSerialization.jsonObject(with: Data(pending.stdout.utf8)) as? [[String: Any]])
            let entry = try #require(listed.first { $0["operation_id"] as? String == id })
            #expect(entry["approved"] as? Bool == true && (entry["approvers"] as? [String])?.count == 2)

            let out = server.root + "/cli.bundle"
            let backup = try Self.json(try Self.cli(server, as: "admin", ["admin", "backup", "--key", "cli-ed",
                                                                         "--operation", id, "--out", out, "--json"]))
            #expect(backup["keys"] as? [String] == ["cli-ed"])
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: out)))
            #expect(try BackupBundle(serialized: bytes).header.keys == ["cli-ed"])

            let restoreOp = try Self.json(try Self.cli(server, as: "admin", ["admin", "propose", "restore", "--bundle", out,
                                                                            "--json"]))
            let restoreID = try #require(restoreOp["operation_id"] as? String)
            for role in ["admin2", "admin3"] {
                _ = try Self.cli(server, as: role, ["admin", "approve", restoreID])
            }
            let restored = try Self.json(try Self.cli(server, as: "admin", ["admin", "restore", "--bundle", out,
                                                                           "--operation", restoreID, "--json"]))
            #expect(restored["skipped"] as? [String] == ["cli-ed"] && (restored["restored"] as? [String])?.isEmpty == true)
            await server.shutdown()
        } catch {
            await server.shutdown()
            throw error
        }
    }
}
