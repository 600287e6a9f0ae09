// The log on a real file: concurrent appends come back durable with consecutive receipts that
// match the file, batches really are grouped, checkpoints are signed every N records and at
// close, a reopened log continues its chain, and a torn tail is moved aside and noted.

import Foundation
import Testing
@testable import AuditLog
import SoftCrypto

@Suite struct AuditLogTests {
    @Test func concurrentAppendsAreDurableChainedAndGrouped() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("audit.log")
        let log = try AuditLog.open(path: path, options: .patient())
        let receipts = try await withThrowingTaskGroup(of: [AuditReceipt].self) { group in
            for client in 0..<16 {
                group.addTask {
                    var mine: [AuditReceipt] = []
                    for n in 0..<50 { mine.append(try await log.append(.sign(n, client: client))) }
                    return mine
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let status = log.status()
        try await log.close()
        #expect(Set(receipts.map(\.seq)) == Set(1...800))
        #expect(status.counters.batches < 800, "16 concurrent appenders must share fdatasyncs")
        let records = try LogFile.records(path)
        #expect(records.count == 800)
        for receipt in receipts {
            #expect(records[Int(receipt.seq) - 1].hash == receipt.hash)
        }
        let report = try AuditVerifier.verify(path: path, verifier: nil)
        #expect(report.isValid && report.callRecords == 800 && report.tornTail == nil)
        #expect(report.lastSeq == 800 && !report.signaturesChecked)
    }

    @Test func detachedRecordsBecomeDurableAndCloseIsIdempotent() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("audit.log")
        let log = try AuditLog.open(path: path, options: .patient())
        for n in 0..<20 { #expect(log.appendDetached(.sign(n, outcome: "PERMISSION_DENIED"))) }
        #expect(await eventually { log.status().lastSeq == 20 })
        try await log.close()
        try await log.close()
        #expect(!log.appendDetached(.sign(99)))
        await #expect(throws: AuditError.self) { _ = try await log.append(.sign(100)) }
        let records = try LogFile.records(path)
        #expect(records.count == 20)
        #expect(records.allSatisfy { if case .call(let event) = $0.body { event.outcome == "PERMISSION_DENIED" } else { false } })
    }

    @Test func checkpointsEveryNRecordsAndAtCloseVerifyWithTheAuditKey() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("audit.log")
        let key = Ed25519TestKey(name: "audit-ed25519", version: 3)
        let log = try AuditLog.open(path: path, options: .patient(signer: key, checkpointInterval: 10))
        for n in 0..<35 { _ = try await log.append(.sign(n)) }
        // Periodic checkpoints are signed off the writer thread; give them a moment to land.
        #expect(await eventually { log.status().lastCheckpointSeq > 0 })
        let forced = try await log.checkpoint()
        #expect(key.verify(signature: forced.signature, message: forced.signedMessage, keyName: "audit-ed25519", keyVersion: 3))
        _ = try await log.append(.sign(36))
        try await log.close()

        let records = try LogFile.records(path)
        let checkpoints = records.compactMap { record -> (UInt64, AuditCheckpoint)? in
            if case .checkpoint(let checkpoint) = record.body { return (record.seq, checkpoint) }
            return nil
        }
        #expect(checkpoints.count >= 3)
        let last = try #require(checkpoints.last)
        #expect(last.0 == records.last?.seq, "close ends the log with a checkpoint")
        #expect(last.1.coveredSeq == last.0 - 1 && last.1.coveredHash == records[records.count - 2].hash)
        for (_, checkpoint) in checkpoints {
            #expect(records[Int(checkpoint.coveredSeq) - 1].hash == checkpoint.coveredHash)
        }
        let report = try AuditVerifier.verify(path: path, verifier: key)
        #expect(report.isValid && report.signaturesChecked)
        #expect(report.checkpointRecords == checkpoints.count && report.unsignedRecords == 0)
        #expect(report.lastCheckpoint?.keyName == "audit-ed25519" && report.lastCheckpoint?.keyVersion == 3)
        // Another key does not verify them.
        let other = try AuditVerifier.verify(path: path, verifier: Ed25519TestKey(name: "audit-ed25519", version: 3))
        #expect(!other.isValid && other.firstBroken?.reason.contains("signature") == true)
    }

    @Test func reopenedLogContinuesTheChain() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("audit.log")
        var log = try AuditLog.open(path: path, options: .patient())
        let first = try await log.append(.sign(1))
        try await log.close()
        log = try AuditLog.open(path: path, options: .patient())
        #expect(log.status().lastSeq == 1 && log.status().lastHash == first.hash)
        let second = try await log.append(.sign(2))
        try await log.close()
        #expect(second.seq == 2)
        let records = try LogFile.records(path)
        #expect(records.map(\.seq) == [1, 2] && records[1].prev == first.hash)
        #expect(try AuditVerifier.verify(path: path, verifier: nil).isValid)
    }

    @Test func tornTailIsReportedThenMovedAsideOnOpen() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("audit.log")
        var log = try AuditLog.open(path: path, options: .patient())
        for n in 0..<5 { _ = try await log.append(.sign(n)) }
        try await log.close()
        // A crash in the middle of writing record 6.
        let next = AuditRecord.seal(seq: 6, time: .now(), body: .call(.sign(6)), prev: try LogFile.records(path)[4].hash)
        let torn = Array(next.line.prefix(next.line.count / 2))
        var (lines, _) = try LogFile.read(path)
        try LogFile.write(path, lines: lines, tail: torn)

        let before = try AuditVerifier.verify(path: path, verifier: nil)
        #expect(before.isValid && before.validRecords == 5)
        #expect(before.tornTail == .init(line: 6, offset: UInt64(lines.reduce(0) { $0 + $1.count + 1 }), byteCount: torn.count))

        log = try AuditLog.open(path: path, options: .patient())
        let receipt = try await log.append(.sign(7))
        try await log.close()
        #expect(receipt.seq == 7, "seq 6 is the recovery record")
        let copies = directory.entries().filter { $0.hasPrefix("audit.log.torn-") }
        #expect(copies.count == 1)
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: directory.file(copies[0])))) == torn)
        (lines, _) = try LogFile.read(path)
        let records = try LogFile.records(path)
        guard case .recovery(let message, let details) = records[5].body else {
            Issue.record("record 6 should be the recovery record"); return
        }
        #expect(message.contains("torn"))
        #expect(details["torn_tail_bytes"] == String(torn.count) && details["torn_tail_file"] == directory.file(copies[0]))
        let after = try AuditVerifier.verify(path: path, verifier: nil)
        #expect(after.isValid && after.tornTail == nil && after.recoveryRecords == 1 && after.lastSeq == 7)
    }

    @Test func openRefusesABrokenChain() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("audit.log")
        let log = try AuditLog.open(path: path, options: .patient())
        for n in 0..<3 { _ = try await log.append(.sign(n)) }
        try await log.close()
        var (lines, _) = try LogFile.read(path)
        lines[1] = Array(LogFile.text(lines[1]).replacingOccurrences(of: "\"outcome\":\"OK\"", with: "\"outcome\":\"NO\"").utf8)
        try LogFile.write(path, lines: lines)
        let error = #expect(throws: AuditError.self) { _ = try AuditLog.open(path: path, options: .patient()) }
        #expect(error?.code == .corrupt)
        #expect(error?.message.contains("line 2 (seq 2)") == true)
    }

    @Test func failingSignerIsCountedAndDoesNotBlockAppends() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("audit.log")
        let log = try AuditLog.open(path: path, options: .patient(signer: FailingSigner(), checkpointInterval: 2))
        for n in 0..<6 { _ = try await log.append(.sign(n)) }
        #expect(await eventually { log.status().counters.checkpointFailures >= 1 })
        await #expect(throws: AuditError.self) { _ = try await log.checkpoint() }
        await #expect(throws: AuditError.self) { try await log.close() }
        let report = try AuditVerifier.verify(path: path, verifier: nil)
        #expect(report.isValid && report.checkpointRecords == 0 && report.unsignedRecords == 6)
    }
}
