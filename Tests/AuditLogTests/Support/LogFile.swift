// Direct access to a log file's lines for tests that inspect or tamper with it, and a factory for
// realistic events. Re-sealing plays an attacker who recomputes hashes after an edit.

import Foundation
@testable import AuditLog
import SoftCrypto

enum LogFile {
    /// Complete lines (without newline) and the unterminated tail, if any.
    static func read(_ path: String) throws -> (lines: [[UInt8]], tail: [UInt8]) {
        let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        var lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
        let tail = lines.removeLast()
        return (lines, tail)
    }

    static func write(_ path: String, lines: [[UInt8]], tail: [UInt8] = []) throws {
        var data = [UInt8]()
        for line in lines { data += line; data.append(UInt8(ascii: "\n")) }
        data += tail
        try Data(data).write(to: URL(fileURLWithPath: path))
    }

    static func records(_ path: String) throws -> [AuditRecord] {
        try read(path).lines.map { try AuditLineParser.parse($0[...]) }
    }

    /// Lines for `records`, re-chaining from `index` on (prev and hash recomputed).
    static func resealed(_ records: [AuditRecord], from index: Int) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var prev = index > 0 ? records[index - 1].hash : AuditRecord.genesisHash
        for (position, record) in records.enumerated() {
            if position < index {
                out.append(Array(record.line.dropLast()))
                continue
            }
            let sealed = AuditRecord.seal(seq: record.seq, time: record.time, body: record.body, prev: prev)
            prev = sealed.record.hash
            out.append(Array(sealed.line.dropLast()))
        }
        return out
    }

    static func text(_ line: [UInt8]) -> String { String(decoding: line, as: UTF8.self) }
}

extension AuditEvent {
    /// A sign call by `client` number `n`.
    static func sign(_ n: Int, client: Int = 0, outcome: String = "OK") -> AuditEvent {
        AuditEvent(identity: "spiffe://persona.test/client-\(client)", method: "/persona.hsm.v1.SigningService/Sign",
                   keyName: "did-key-\(client % 3)", keyVersion: 2,
                   requestSHA256: SHA256.hash(Array("request \(client) \(n)".utf8)), outcome: outcome,
                   message: outcome == "OK" ? "" : "denied by policy",
                   extra: ["trace_id": "trace-\(client)-\(n)"])
    }
}

/// Polls `condition` every few milliseconds until it holds or `timeout` passes.
func eventually(timeout: Duration = .seconds(5), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return condition()
}

extension AuditLogOptions {
    /// Options for tests that are not about timing. Parallel builds on this machine can stall
    /// fdatasync for seconds; that must not fail a test about something else.
    static func patient(signer: (any CheckpointSigner)? = nil, checkpointInterval: UInt64 = 10_000) -> AuditLogOptions {
        AuditLogOptions(signer: signer, checkpointInterval: checkpointInterval, durabilityTimeout: .seconds(30))
    }
}
