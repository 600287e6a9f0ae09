// The shared idempotency records alone, on a real SoftHSM2 token: two record logs (two instances)
// tail each other's objects and never their own, expired objects are pruned by anyone; first
// results written concurrently are grouped into few objects and read back whole by the other
// instance; and the SoftHSM2 store copy leaves the shared-state token's folder alone.

import Foundation
import KeyRegistry
import PersonaServices
import PKCS11
import Synchronization
import Testing
import TestSupport

@Suite("Shared idempotency records")
struct SharedIdempotencyRecordsTests {
    @Test("two instances' logs: each reads the other's new objects once, never its own; expired ones go")
    func recordLog() async throws {
        let token = try TestHSM.token("ha-records-log")
        let clock = Atomic<Int64>(1_000_000)
        let now: @Sendable () -> Double = { Double(clock.load(ordering: .relaxed)) }
        let a = SharedRecordLog(token: token, pin: try TestHSM.pin(), now: now)
        let b = SharedRecordLog(token: token, pin: try TestHSM.pin(), now: now)
        #expect(a.instance != b.instance)

        let first = try await a.append([1, 2, 3], expires: 1_000_010)
        #expect(first == a.instance + "/1")
        #expect(try await b.readNew() == [[1, 2, 3]])
        #expect(try await a.readNew().isEmpty, "an instance never reads back its own records")
        #expect(try await b.readNew().isEmpty, "an object is read once")
        #expect(try await a.append([4], expires: 1_000_010) == a.instance + "/2")
        _ = try await b.append([9], expires: 1_000_005)
        #expect(try await b.readNew() == [[4]])

        clock.add(6, ordering: .relaxed)
        #expect(try await a.readNew().isEmpty, "an expired record is not returned")
        #expect(try await a.prune() == 1, "anyone prunes an expired object")
        #expect(try await a.objectCount() == 2)
        clock.add(5, ordering: .relaxed)
        #expect(try await b.prune() == 2)
        #expect(try await a.objectCount() == 0)
        #expect(try await a.readNew().isEmpty)
        _ = try await a.append([5], expires: 1_000_100)
        #expect(try await b.readNew() == [[5]], "new objects after a prune are still found")
    }

    @Test("first results written concurrently are grouped; the other instance finds each one")
    func groupedRecords() async throws {
        let token = try TestHSM.token("ha-records-group")
        let clock = Atomic<Int64>(2_000_000)
        let now: @Sendable () -> Double = { Double(clock.load(ordering: .relaxed)) }
        let a = SharedIdempotencyRecords(log: SharedRecordLog(token: token, pin: try TestHSM.pin(), now: now),
                                         window: 60, flushInterval: .milliseconds(5), now: now)
        let b = SharedIdempotencyRecords(log: SharedRecordLog(token: token, pin: try TestHSM.pin(), now: now),
                                         window: 60, flushInterval: .milliseconds(5), now: now)
        #expect(try await b.lookup("client|key|nothing") == nil)

        let count = 200
        try await withThrowingTaskGroup(of: Void.self) { group in
            for n in 0..<count {
                group.addTask {
                    try await a.persist(key: "client|key|\(n)", digest: Array(repeating: UInt8(n % 256), count: 32),
                                        response: Array("response \(n)".utf8))
                }
            }
            try await group.waitForAll()
        }
        let objects = try await a.log.objectCount()
        #expect(objects >= 1 && objects <= count / 10, "\(count) records in \(objects) objects")
        for n in 0..<count {
            let found = try await b.lookup("client|key|\(n)")
            #expect(found?.digest == Array(repeating: UInt8(n % 256), count: 32))
            #expect(found?.response == Array("response \(n)".utf8))
        }
        #expect(try await a.lookup("client|key|0") == nil, "an instance's own records live in its local cache")

        clock.add(61, ordering: .relaxed)
        #expect(try await b.lookup("client|key|1") == nil, "expired records are not honoured")
        #expect(try await b.prune() == objects)
        #expect(try await a.log.objectCount() == 0)
    }

    @Test("the group layout round-trips and rejects truncated or padded bytes")
    func groupLayout() {
        let records = [SharedIdempotencyRecord(key: "k", digest: [1, 2], response: [3], expires: 12.5),
                       SharedIdempotencyRecord(key: "ключ", digest: [], response: [], expires: 99)]
        let bytes = SharedIdempotencyRecord.encode(records)
        #expect(SharedIdempotencyRecord.decode(bytes) == records)
        #expect(SharedIdempotencyRecord.decode(Array(bytes.dropLast())) == nil)
        #expect(SharedIdempotencyRecord.decode(bytes + [0]) == nil)
    }

    @Test("the store copy skips an excluded token folder on both sides")
    func storeCopySkipsStateToken() async throws {
        let base = NSTemporaryDirectory() + "ha-exclude-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: base) }
        let source = base + "/primary", target = base + "/dr"
        let fm = FileManager.default
        for folder in ["token-keys", "token-state"] {
            try fm.createDirectory(atPath: source + "/" + folder, withIntermediateDirectories: true)
            try Data("serial-\(folder)".utf8).write(to: URL(fileURLWithPath: source + "/\(folder)/token.object"))
            try Data("x".utf8).write(to: URL(fileURLWithPath: source + "/\(folder)/a.object"))
        }
        try fm.createDirectory(atPath: target + "/token-state", withIntermediateDirectories: true)
        try Data("dr's own".utf8).write(to: URL(fileURLWithPath: target + "/token-state/old.object"))
        #expect(SoftHSMStoreCopy.tokenFolder(serial: "serial-token-state", in: source) == "token-state")

        let copy = SoftHSMStoreCopy(source: source, targets: [target], excluding: ["token-state"])
        try await copy.replicate()
        #expect(copy.lastCopiedFiles == 2, "only the key token's two files")
        #expect(fm.fileExists(atPath: target + "/token-keys/a.object"))
        #expect(!fm.fileExists(atPath: target + "/token-state/a.object"))
        #expect(fm.contents(atPath: target + "/token-state/old.object") == Data("dr's own".utf8))
    }
}
