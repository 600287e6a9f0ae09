// The fault module as a network-HSM model, end to end through pipelined worker processes: an
// operation's latency counts from its C_SignInit, every operation takes at least the configured
// latency, one session runs its operations one after another, and the timing statistics the
// benchmark reads (P11FAULT_STATS_DIR) account for every operation; a node's rate
// (node_ops_per_s) is one queue shared by the worker processes of every session on it; a long
// batch's outcomes come back in parts (outcomeFlushInterval), not all at the end.

import Foundation
@testable import HSMScheduler
import PKCS11
import TestSupport
import Synchronization
import Testing

@Suite("Network HSM model")
struct NetworkModelTests {
    @Test("1 session at 2 ms per operation: ≥ 2 ms each, serial, and the statistics add up")
    func latencyAndStatistics() async throws {
        // The exact latency, without the timer calibration (checked in the next test).
        let run = try await signThroughModel(label: "net-model", sessions: 1, settings: ["latency_us": "2000"],
                                             environment: ["P11FAULT_WAKE_CALIBRATION": "0"], batchSize: 32, count: 300)
        // One session, one operation at a time: 300 operations cannot finish faster than 300 × 2 ms.
        #expect(run.elapsed >= .milliseconds(600), "300 operations took \(run.elapsed)")
        // The worker process wrote its counters after 256 operations.
        let files = try statsFiles(in: run.stats)
        #expect(files.count == 1)
        let values = try counters(in: files.first ?? "")
        let ops = values["ops"] ?? 0
        #expect(ops >= 256)
        #expect(values["latency_us"] == ops * 2000)
        #expect((values["duration_us"] ?? 0) >= ops * 2000, "\(values)")
        #expect((values["duration_us"] ?? 0) - (values["overshoot_us"] ?? 0) == ops * 2000, "\(values)")
        #expect((values["gaps"] ?? 0) >= ops - 1)
    }

    @Test("A node's rate is shared by the worker processes of all its sessions; the timer floor is measured")
    func nodeRateAcrossProcesses() async throws {
        // Two sessions at 1 ms could sign 2,000/s; a queue per process would allow 2 × 400/s.
        // Stats files are written every 256 operations per process, so each of the two must pass that.
        let run = try await signThroughModel(label: "net-node-rate", sessions: 2,
                                             settings: ["latency_us": "1000", "node_ops_per_s": "400"],
                                             batchSize: 16, count: 800)
        // One shared queue at 400/s: 800 operations need at least 799 × 2.5 ms.
        #expect(run.elapsed >= .microseconds(799 * 2500), "800 operations took \(run.elapsed)")
        let files = try statsFiles(in: run.stats)
        #expect(!files.isEmpty)
        for file in files {
            let values = try counters(in: file)
            #expect(values["wake_floor_us"].map { (0...200).contains($0) } == true, "\(values)")
        }
    }

    /// Signs `count` messages in one `signBatch` through the fault module on token `label` with
    /// `sessions` worker processes; checks every signature with OpenSSL and returns how long it
    /// took and the folder the workers wrote their statistics to.
    private func signThroughModel(label: String, sessions: Int, settings: [String: String],
                                  environment: [String: String] = [:], batchSize: Int,
                                  count: Int) async throws -> (elapsed: Duration, stats: String) {
        let (key, publicKey) = try TestHSM.sharedEd25519(on: [label])
        let stats = TestHSM.folder + "/stats-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: stats, withIntermediateDirectories: true)
        var backend = try FaultModule.backend(label, sessions: sessions,
                                              mode: .processes(executable: WorkerMode.defaultWorkerExecutable),
                                              settings: settings)
        backend.workerEnvironment["P11FAULT_STATS_DIR"] = stats
        for (name, value) in environment { backend.workerEnvironment[name] = value }
        var config = SchedulerConfiguration()
        config.batchSize = batchSize
        let scheduler = try HSMScheduler(configuration: config, backends: [backend])
        defer { scheduler.shutdown() }
        let messages = (0..<count).map { Array("\(label) \($0)".utf8) }
        let start = ContinuousClock.now
        let results = await scheduler.signBatch(messages, key: key, mechanism: .ed25519)
        let elapsed = ContinuousClock.now - start
        let signatures = results.compactMap { try? $0.get() }
        #expect(signatures.count == messages.count)
        let cases = zip(messages, signatures).map { SignatureCase(key: publicKey, mechanism: .ed25519, message: $0, signature: $1) }
        #expect(cases.allSatisfy(OpenSSLCheck.verify))
        return (elapsed, stats)
    }

    /// The statistics files the worker processes wrote in `folder` (full paths).
    private func statsFiles(in folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder)
            .filter { $0.hasPrefix("stats-") && !$0.hasSuffix(".tmp") }.map { folder + "/" + $0 }
    }

    /// The "name value" counters of one statistics file.
    private func counters(in file: String) throws -> [String: Int] {
        var values: [String: Int] = [:]
        for line in try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2 { values[String(parts[0])] = Int(parts[1]) }
        }
        return values
    }

    /// Sends one batch of 32 signatures at 2 ms per operation straight to a worker process and
    /// returns the sizes of the outcome frames it answered with, and when the first arrived.
    private func outcomeParts(label: String, flush: Duration, awaitedAlone: Bool) throws -> (sizes: [Int], first: Duration, total: Duration) {
        let (key, publicKey) = try TestHSM.sharedEd25519(on: [label])
        let backend = try FaultModule.backend(label, sessions: 1, settings: ["latency_us": "2000"])
        let runner = ProcessRunner(configuration: backend, executable: WorkerMode.defaultWorkerExecutable, flushInterval: flush)
        #expect(runner.prepare())
        let messages = (0..<32).map { Array("part \($0)".utf8) }
        let items = messages.map {
            WorkItem(key: key, operation: .sign(message: $0, mechanism: .ed25519, ecdsaFormat: .raw), deadline: nil,
                     awaitedAlone: awaitedAlone)
        }
        let start = ContinuousClock.now
        guard case .sent = runner.send(items, behindRunningBatch: false) else {
            Issue.record("batch not sent")
            return ([], .zero, .zero)
        }
        var outcomes: [ExecutionOutcome] = [], sizes: [Int] = [], first = Duration.zero
        while outcomes.count < items.count, let part = runner.receive() {
            if sizes.isEmpty { first = ContinuousClock.now - start }
            sizes.append(part.count)
            outcomes += part
        }
        let total = ContinuousClock.now - start
        let signatures = outcomes.compactMap { if case .done(.signature(let s)) = $0 { s } else { nil } }
        #expect(signatures.count == 32)
        #expect(zip(messages, signatures).allSatisfy {
            OpenSSLCheck.verify(SignatureCase(key: publicKey, mechanism: .ed25519, message: $0, signature: $1))
        })
        return (sizes, first, total)
    }

    @Test("A worker process returns outcomes awaited alone every 2 ms; a batch awaited whole comes back in one frame")
    func outcomesInParts() throws {
        // 32 operations × 2 ms: the batch runs ≥ 64 ms. Items awaited alone come back in parts
        // every ~2 ms, the first long before the batch ends.
        let alone = try outcomeParts(label: "net-parts", flush: .milliseconds(2), awaitedAlone: true)
        #expect(alone.sizes.reduce(0, +) == 32)
        #expect(alone.total >= .milliseconds(64))
        #expect(alone.sizes.count >= 4, "parts: \(alone.sizes)")
        #expect(alone.first < alone.total / 2, "first part after \(alone.first) of \(alone.total)")
        // Items of a batch the caller awaits as a whole (signBatch): one frame, as does flushing off.
        let whole = try outcomeParts(label: "net-whole", flush: .milliseconds(2), awaitedAlone: false)
        #expect(whole.sizes == [32])
        let off = try outcomeParts(label: "net-off", flush: .zero, awaitedAlone: true)
        #expect(off.sizes == [32])
    }
}
