// The audit crash test: a separate process appends from 16 tasks and prints each receipt the
// moment append returns; we SIGKILL it mid-run, three times over the same log. Afterwards every
// receipt a "client" saw must be in the log with the same hash, the whole log must verify
// (signed checkpoints included), a torn tail must be reported, and reopening must repair it.

import Foundation
import Testing
@testable import AuditLog
import SoftCrypto

@Suite struct AuditCrashTests {
    static let hmacKey = (0..<32).map { UInt8($0 * 7 & 0xFF) }

    @Test func killNineWhileSixteenClientsAppend() async throws {
        let harness = ChildProcess.buildDirectory + "/audit-harness"
        try #require(FileManager.default.isExecutableFile(atPath: harness),
                     "build the helper first (swift build builds it): \(harness)")
        let directory = try TemporaryDirectory("audit-crash")
        defer { directory.remove() }
        let path = directory.file("audit.log")
        let verifier = HMACCheckpointVerifier(key: Self.hmacKey, keyName: "audit-hmac")
        var received: [UInt64: String] = [:]
        var tornTails = 0
        for round in 0..<3 {
            let run = try await Self.runAndKill(harness: harness, log: path, afterReceipts: 400 + 700 * round)
            #expect(run.killedBySignal, "round \(round): the writer should have died of SIGKILL: \(run.errors)")
            #expect(run.receipts.count >= 400 + 700 * round)
            #expect(run.errors.isEmpty, "round \(round): \(run.errors.prefix(3))")
            for (seq, hash) in run.receipts {
                #expect(received.updateValue(hash, forKey: seq) == nil, "seq \(seq) acknowledged twice")
            }
            let report = try AuditVerifier.verify(path: path, verifier: verifier)
            #expect(report.isValid, "round \(round): \(report)")
            if report.tornTail != nil { tornTails += 1 }
            #expect(report.checkpointRecords > 0 && report.lastCheckpoint != nil)
            try Self.expectAllReceiptsInLog(received, path: path)
        }
        // Reopen once more: any torn tail is moved aside, and the repaired log verifies cleanly.
        let log = try AuditLog.open(path: path)
        try await log.close()
        let final = try AuditVerifier.verify(path: path, verifier: verifier)
        #expect(final.isValid && final.tornTail == nil, "\(final)")
        #expect(final.recoveryRecords >= tornTails, "each torn tail seen leaves a recovery record when reopened")
        #expect(directory.entries().filter { $0.contains(".torn-") }.count == final.recoveryRecords)
        try Self.expectAllReceiptsInLog(received, path: path)
        print("AuditCrashTests: \(received.count) acknowledged receipts over 3 kills, \(tornTails) torn tail(s) seen, "
            + "\(final.validRecords) records, \(final.checkpointRecords) checkpoints")
    }

    static func expectAllReceiptsInLog(_ received: [UInt64: String], path: String) throws {
        let (lines, _) = try LogFile.read(path)
        for (seq, hash) in received {
            guard seq >= 1, Int(seq) <= lines.count else {
                Issue.record("acknowledged seq \(seq) is not in the log (\(lines.count) lines)")
                continue
            }
            let record = try AuditLineParser.parse(lines[Int(seq) - 1][...])
            #expect(record.seq == seq && record.hash.hexString == hash, "receipt \(seq) does not match the log")
        }
    }

    struct Round {
        var receipts: [(UInt64, String)] = []
        var errors: [String] = []
        var killedBySignal = false
    }

    /// Starts the writer, SIGKILLs it once `afterReceipts` receipts were printed, and collects
    /// every complete receipt line it printed before dying.
    static func runAndKill(harness: String, log: String, afterReceipts: Int) async throws -> Round {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: harness)
        process.arguments = ["crash-writer", log, hmacKey.hexString, "16", "25"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.standardError
        try process.run()
        let pid = process.processIdentifier
        // Never let a wedged child hang the suite.
        DispatchQueue.global().asyncAfter(deadline: .now() + 60) { kill(pid, SIGKILL) }
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var round = Round()
                var pending = Data()
                var killed = false
                let handle = out.fileHandleForReading
                while true {
                    let chunk = handle.availableData
                    if chunk.isEmpty { break }
                    pending.append(chunk)
                    while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                        let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                        pending.removeSubrange(pending.startIndex...newline)
                        let fields = line.split(separator: " ")
                        if fields.first == "R", fields.count >= 3, let seq = UInt64(fields[1]) {
                            round.receipts.append((seq, String(fields[2])))
                        } else if fields.first == "E" {
                            round.errors.append(line)
                        }
                    }
                    if !killed && round.receipts.count >= afterReceipts {
                        kill(pid, SIGKILL)
                        killed = true
                    }
                }
                process.waitUntilExit()
                round.killedBySignal = process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL
                continuation.resume(returning: round)
            }
        }
    }
}

/// Verifies the harness's HMAC-SHA-256 checkpoints (RFC 2104 over SoftCrypto's SHA-256).
struct HMACCheckpointVerifier: CheckpointVerifier {
    let key: [UInt8]
    let keyName: String

    func verify(signature: [UInt8], message: [UInt8], keyName: String, keyVersion: UInt32) -> Bool {
        guard keyName == self.keyName, keyVersion == 1 else { return false }
        var block = key + [UInt8](repeating: 0, count: 64 - key.count)
        var inner = SHA256()
        inner.update(block.map { $0 ^ 0x36 })
        inner.update(message)
        var outer = SHA256()
        block = block.map { $0 ^ 0x5C }
        outer.update(block)
        outer.update(inner.finalize())
        return outer.finalize() == signature
    }
}
