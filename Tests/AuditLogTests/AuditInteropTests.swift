// The format spec checked by someone else's code: a Python script written from docs/AUDIT.md,
// using the `jcs` package for RFC 8785 and `cryptography` for Ed25519, must accept what the
// Swift writer produces (including awkward strings) and reject a tampered copy.

import Foundation
import Testing
@testable import AuditLog
import SoftCrypto

@Suite struct AuditInteropTests {
    @Test func pythonJCSAndEd25519AcceptTheLogAndCatchTampering() async throws {
        let directory = try TemporaryDirectory("audit-interop")
        defer { directory.remove() }
        let path = directory.file("audit.log")
        let key = Ed25519TestKey(name: "audit-interop", version: 7)
        let log = try AuditLog.open(path: path, options: .patient(signer: key, checkpointInterval: 4))
        let awkward = "quote\" backslash\\ slash/ tab\t newline\n nul\u{0} del\u{7f} é ü 漢字 😀 \u{2028}"
        for n in 0..<12 {
            var event = AuditEvent.sign(n, client: n % 3)
            event.message = n % 2 == 0 ? awkward : ""
            event.extra["note"] = awkward
            event.extra["ключ"] = "значение"
            event.extra["😀"] = "emoji key"
            // Sorts after the emoji in UTF-16 (JCS) order but before it in UTF-8 byte order.
            event.extra["\u{FF21}"] = "fullwidth A"
            _ = try await log.append(event)
        }
        _ = try await log.checkpoint()
        try await log.close()
        let swiftReport = try AuditVerifier.verify(path: path, verifier: key)
        #expect(swiftReport.isValid)

        let script = ChildProcess.packageRoot + "/Tests/interop/audit_chain_check.py"
        let good = try await ChildProcess.run("/usr/bin/env", ["python3", script, path, key.publicKey.hexString])
        #expect(good.status == 0, "python rejected the log: \(good.stdout) \(good.stderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(good.stdout.utf8)) as? [String: Any]
        #expect(summary?["records"] as? Int == swiftReport.validRecords)
        #expect(summary?["checkpoints"] as? Int == swiftReport.checkpointRecords)
        #expect(summary?["last_hash"] as? String == swiftReport.lastHash.hexString)

        var (lines, _) = try LogFile.read(path)
        let target = try #require(lines.indices.first { $0 >= 5 && LogFile.text(lines[$0]).contains("client-") })
        lines[target] = Array(LogFile.text(lines[target]).replacingOccurrences(of: "client-", with: "client-X").utf8)
        try LogFile.write(path, lines: lines)
        let bad = try await ChildProcess.run("/usr/bin/env", ["python3", script, path, key.publicKey.hexString])
        #expect(bad.status == 1 && bad.stdout.contains("\"line\": \(target + 1)"), "\(bad.stdout)")
        #expect(try AuditVerifier.verify(path: path, verifier: key).firstBroken?.line == target + 1)
    }
}
