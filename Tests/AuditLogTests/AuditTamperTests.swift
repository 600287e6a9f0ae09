// Tampering with a real signed log, one way per test: the verifier must name exactly the first
// broken record (line, seq) and say why, including for an attacker who recomputes every hash
// after an edit (only the signed checkpoints catch that).

import Foundation
import Testing
@testable import AuditLog

@Suite struct AuditTamperTests {
    /// A closed 30-call log with checkpoints every 5 records, its lines and its key.
    struct SignedLog {
        let directory: TemporaryDirectory
        let key: Ed25519TestKey
        let lines: [[UInt8]]
        let records: [AuditRecord]

        /// Writes `lines` to a new file and verifies it.
        func verify(_ lines: [[UInt8]], verifier: (any CheckpointVerifier)? = nil) throws -> AuditVerificationReport {
            let path = directory.file("tampered-\(UUID().uuidString.prefix(6)).log")
            try LogFile.write(path, lines: lines)
            return try AuditVerifier.verify(path: path, verifier: verifier ?? key)
        }

        /// Index of the first call record at or after `index`.
        func callIndex(from index: Int) -> Int {
            records.indices.first { position in
                guard position >= index, case .call = records[position].body else { return false }
                return true
            }!
        }
    }

    static func makeSignedLog() async throws -> SignedLog {
        let directory = try TemporaryDirectory("audit-tamper")
        let key = Ed25519TestKey()
        let path = directory.file("audit.log")
        let log = try AuditLog.open(path: path, options: .patient(signer: key, checkpointInterval: 5))
        for n in 0..<30 {
            _ = try await log.append(.sign(n, client: n % 4))
            if n % 5 == 4 { _ = await eventually { log.status().lastCheckpointSeq > 0 } }
        }
        try await log.close()
        let original = try AuditVerifier.verify(path: path, verifier: key)
        #expect(original.isValid && original.checkpointRecords >= 2)
        return SignedLog(directory: directory, key: key, lines: try LogFile.read(path).lines,
                         records: try LogFile.records(path))
    }

    @Test func modifiedRecordIsTheFirstBroken() async throws {
        let log = try await Self.makeSignedLog()
        defer { log.directory.remove() }
        let k = log.callIndex(from: 7)
        var lines = log.lines
        lines[k] = Array(LogFile.text(lines[k]).replacingOccurrences(of: "\"outcome\":\"OK\"",
                                                                     with: "\"outcome\":\"PERMISSION_DENIED\"").utf8)
        let report = try log.verify(lines)
        #expect(report.firstBroken?.line == k + 1 && report.firstBroken?.seq == UInt64(k + 1))
        #expect(report.firstBroken?.reason.contains("hash does not match") == true)
        #expect(report.validRecords == k)
    }

    @Test func deletedRecordBreaksAtItsPlace() async throws {
        let log = try await Self.makeSignedLog()
        defer { log.directory.remove() }
        var lines = log.lines
        lines.remove(at: 10)
        let report = try log.verify(lines)
        #expect(report.firstBroken?.line == 11 && report.firstBroken?.seq == 12)
        #expect(report.firstBroken?.reason.contains("expected seq 11, found 12") == true)
    }

    @Test func reorderedRecordsBreakAtTheFirstMovedOne() async throws {
        let log = try await Self.makeSignedLog()
        defer { log.directory.remove() }
        var lines = log.lines
        lines.swapAt(12, 13)
        let report = try log.verify(lines)
        #expect(report.firstBroken?.line == 13 && report.firstBroken?.seq == 14)
    }

    @Test func recomputedChainIsCaughtByTheNextCheckpoint() async throws {
        let log = try await Self.makeSignedLog()
        defer { log.directory.remove() }
        let k = log.callIndex(from: 2)
        var records = log.records
        guard case .call(var event) = records[k].body else { Issue.record("not a call"); return }
        event.identity = "spiffe://persona.test/someone-else"
        records[k].body = .call(event)
        let report = try log.verify(LogFile.resealed(records, from: k))
        let checkpoint = try #require(records.indices.first { index in
            if case .checkpoint(let c) = records[index].body { return c.coveredSeq >= UInt64(k + 1) }
            return false
        })
        #expect(report.firstBroken?.line == checkpoint + 1 && report.firstBroken?.seq == UInt64(checkpoint + 1))
        #expect(report.firstBroken?.reason.contains("covers_hash does not match the hash of record") == true)
    }

    @Test func badCheckpointSignatureIsTheFirstBroken() async throws {
        let log = try await Self.makeSignedLog()
        defer { log.directory.remove() }
        var records = log.records
        let c = try #require(records.indices.first { if case .checkpoint = records[$0].body { true } else { false } })
        guard case .checkpoint(var checkpoint) = records[c].body else { return }
        checkpoint.signature[5] ^= 0x01
        records[c].body = .checkpoint(checkpoint)
        let report = try log.verify(LogFile.resealed(records, from: c))
        #expect(report.firstBroken?.line == c + 1 && report.firstBroken?.seq == UInt64(c + 1))
        #expect(report.firstBroken?.reason.contains("checkpoint signature is not valid for key audit-key version 1") == true)
        // Unchanged log, but the verifier knows another key version only.
        let wrongVersion = try log.verify(log.lines, verifier: Ed25519TestKey(name: "audit-key", version: 2))
        #expect(wrongVersion.firstBroken?.line == c + 1)
        // The same forgery on the final checkpoint: without a verifier the chain holds (nothing
        // after it covers its hash) and the report says signatures were not checked.
        var forged = log.records
        let last = forged.count - 1
        guard case .checkpoint(var final) = forged[last].body else { Issue.record("close must end with a checkpoint"); return }
        final.signature[0] ^= 0x80
        forged[last].body = .checkpoint(final)
        let path = log.directory.file("unsigned-check.log")
        try LogFile.write(path, lines: LogFile.resealed(forged, from: last))
        let chainOnly = try AuditVerifier.verify(path: path, verifier: nil)
        #expect(chainOnly.isValid && !chainOnly.signaturesChecked, "\(chainOnly)")
        #expect(chainOnly.description.contains("signature NOT checked"))
        let withKey = try AuditVerifier.verify(path: path, verifier: log.key)
        #expect(withKey.firstBroken?.line == last + 1 && withKey.firstBroken?.reason.contains("signature") == true)
    }

    @Test func nonCanonicalLineIsRefusedEvenWithAMatchingHash() async throws {
        let log = try await Self.makeSignedLog()
        defer { log.directory.remove() }
        var records = log.records
        var lines = LogFile.resealed(records, from: 0)
        let k = 4
        lines[k] = Array(LogFile.text(lines[k]).replacingOccurrences(of: ",\"seq\":", with: ", \"seq\":").utf8)
        var report = try log.verify(lines)
        #expect(report.firstBroken?.line == k + 1)
        #expect(report.firstBroken?.reason.contains("canonical form") == true)
        // A first record whose prev is not the genesis hash.
        records[0].prev = [UInt8](repeating: 1, count: 32)
        lines = log.lines
        lines[0] = Array(AuditRecord.seal(seq: 1, time: records[0].time, body: records[0].body, prev: records[0].prev)
            .line.dropLast())
        report = try log.verify(lines)
        #expect(report.firstBroken?.line == 1 && report.firstBroken?.reason.contains("prev") == true)
    }

    @Test func garbageLineIsReportedWithItsPosition() async throws {
        let log = try await Self.makeSignedLog()
        defer { log.directory.remove() }
        var lines = log.lines
        lines.insert(Array("rm -rf /".utf8), at: 3)
        let report = try log.verify(lines)
        #expect(report.firstBroken?.line == 4 && report.firstBroken?.seq == 4)
        #expect(report.firstBroken?.reason.contains("unreadable record") == true)
        #expect(!report.isValid && report.description.contains("first broken record: line 4, seq 4"))
    }
}
