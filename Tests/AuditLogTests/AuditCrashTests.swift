// The audit crash test: a separate process appends from 16 tasks and prints each receipt the
// moment append returns; we SIGKILL it mid-run, three or more times over the same log (later
// rounds on a deliberately slow sink, so kills land mid-batch and leave torn tails). Afterwards
// every receipt a "client" saw must be in the log with the same hash, the whole log must verify
// (signed checkpoints included), torn tails must be reported, and reopening must repair them.

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
        var round = 0
        // At least 3 kills; more (up to 8) until one has cut a batch in half (a torn tail).
        while round < 3 || (tornTails == 0 && round < 8) {
            let run = try await Self.runAndKill(harness: harness, log: path, afterReceipts: 300 + 500 * (round % 3),
                                                chunkedWrites: round > 0)
            #expect(run.killedBySignal, "round \(round): the writer should have died of SIGKILL")
            #expect(run.receipts.count >= 50, "round \(round): too few appends before the kill")
            // Under heavy machine load an append may fail closed; that is allowed, a hang is not.
            #expect(run.errors.allSatisfy { $0.contains("audit unavailable") }, "round \(round): \(run.errors.prefix(3))")
            for (seq, hash) in run.receipts {
                #expect(received.updateValue(hash, forKey: seq) == nil, "seq \(seq) acknowledged twice")
            }
            let report = try AuditVerifier.verify(path: path, verifier: verifier)
            #expect(report.isValid, "round \(round): \(report)")
            if report.tornTail != nil { tornTails += 1 }
            #expect(report.checkpointRecords > 0 && report.lastCheckpoint != nil)
            try Self.expectAllReceiptsInLog(received, path: path)
            round += 1
        }
        #expect(tornTails >= 1, "no kill out of \(round) left a torn tail")
        // Reopen once more: the last torn tail is moved aside, and the repaired log verifies cleanly.
        let log = try AuditLog.open(path: path, options: .patient())
        try await log.close()
        let final = try AuditVerifier.verify(path: path, verifier: verifier)
        #expect(final.isValid && final.tornTail == nil, "\(final)")
        let tornNotes = try LogFile.records(path).filter { record in
            if case .recovery(_, let details) = record.body { return details["torn_tail_file"] != nil }
            return false
        }
        #expect(tornNotes.count == tornTails, "every torn tail seen left one recovery record")
        #expect(directory.entries().filter { $0.contains(".torn-") }.count == tornTails)
        try Self.expectAllReceiptsInLog(received, path: path)
        print("AuditCrashTests: \(received.count) acknowledged receipts over \(round) kills, \(tornTails) torn tail(s), "
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

    /// Starts the writer, SIGKILLs it once `afterReceipts` receipts were printed (or after 20 s), and collects
    /// every complete receipt line it printed before dying.
    static func runAndKill(harness: String, log: String, afterReceipts: Int, chunkedWrites: Bool) async throws -> Round {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: harness)
        process.arguments = ["crash-writer", log, hmacKey.hexString, "--tasks", "16", "--checkpoint-interval", "25",
                             "--timeout-ms", "10000"] + (chunkedWrites ? ["--chunked-writes"] : [])
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.standardError
        try process.run()
        let pid = process.processIdentifier
        // On a slow machine, kill after 20 s whatever the count; and never let a wedged child hang the suite.
        DispatchQueue.global().asyncAfter(deadline: .now() + 20) { kill(pid, SIGKILL) }
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
