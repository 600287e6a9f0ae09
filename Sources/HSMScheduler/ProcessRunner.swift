// Runs batches in an HSM worker process: one `personahsm-hsm-worker` child per scheduler worker,
// each with its own C_Initialize, login and session, fed batch frames over a pipe — several
// outstanding at once (see Worker+Pipelining), answered in order, each batch in one or more
// outcome frames (WorkerProtocol).
// This gets past PKCS#11 modules that serialise inside a process (SoftHSM2 signs Ed25519 only
// ~1.5× faster with 2 threads, but ~2× with 2 processes). The PIN travels over the pipe, never in
// argv. A dead child is reported as a backend fault and replaced on the next batch; `abort()` kills
// a hung child so its worker thread returns at once.

import Foundation
import Glibc
import PKCS11
import Synchronization

final class ProcessRunner: PipelinedBatchRunner {
    private let configuration: BackendConfiguration
    private let executable: String
    private let flushMicros: UInt32
    private var child: WorkerChild?
    private var channel: FrameChannel?
    private let pid = Atomic<Int32>(0)

    init(configuration: BackendConfiguration, executable: String, flushInterval: Duration = .zero) {
        self.configuration = configuration
        self.executable = executable
        flushMicros = UInt32(clamping: max(0, flushInterval.wholeMicroseconds))
        signal(SIGPIPE, SIG_IGN)
    }

    deinit { stop() }

    private func fault(_ message: String) -> ExecutionOutcome {
        .backendFault(HSMError(.unavailable(retryAfter: .milliseconds(200)), message, backend: configuration.name))
    }

    /// Starts the child and says hello; retries a few times because two processes logging in to
    /// the same SoftHSM2 token at the same instant sometimes fail.
    private func ensureStarted() -> ExecutionOutcome? {
        if channel != nil { return nil }
        var last = "worker process did not start"
        for attempt in 0..<3 {
            if attempt > 0 { usleep(UInt32.random(in: 20_000...60_000)) }
            var environment = ProcessInfo.processInfo.environment
            for (k, v) in configuration.workerEnvironment { environment[k] = v }
            let started: WorkerChild
            do {
                started = try WorkerChild(executable: executable, arguments: ["--backend", configuration.name],
                                          environment: environment)
            } catch {
                return fault(error.description)
            }
            let ch = FrameChannel(readFD: started.readFD, writeFD: started.writeFD)
            pipeCapacity = Self.enlarge(started.writeFD)
            _ = Self.enlarge(started.readFD)
            child = started
            pid.store(started.pid, ordering: .relaxed)
            var hello = FrameWriter(.hello)
            hello.string(configuration.modulePath)
            hello.string(configuration.tokenLabel)
            hello.data(configuration.pin.bytes)
            hello.u32(flushMicros)
            do throws(FrameChannel.Closed) {
                try ch.send(hello.finish())
                let (type, body) = try ch.receive()
                var reader = FrameReader(body: body)
                if type == .helloReply, (try? reader.u8()) == 0 {
                    channel = ch
                    return nil
                }
                last = (try? reader.string()) ?? "bad hello reply"
            } catch {
                last = "worker process exited during start-up"
            }
            stop()
        }
        return fault(last)
    }

    /// Bytes the pipe to the child holds before a write blocks.
    private var pipeCapacity = 65_536
    /// The batch frames sent and not yet fully answered, oldest first: frame size, outcomes due.
    private var outstanding: [(bytes: Int, due: Int)] = []

    /// Asks for a 1 MiB pipe buffer (room for a pipelined frame); returns the capacity in force.
    private static func enlarge(_ fd: Int32) -> Int {
        // F_SETPIPE_SZ / F_GETPIPE_SZ (Linux ABI values; Swift's Glibc module does not export them).
        let setPipeSize: Int32 = 1031, getPipeSize: Int32 = 1032
        _ = fcntl(fd, setPipeSize, Int32(1 << 20))
        let size = fcntl(fd, getPipeSize)
        return size > 0 ? Int(size) : 65_536
    }

    private func stop() {
        channel = nil
        outstanding.removeAll()
        child?.stop()
        child = nil
        pid.store(0, ordering: .relaxed)
    }

    /// Reads one outcomes frame: between 1 and `limit` outcomes. Nil (and the child stopped) when
    /// it died or answered nonsense.
    private func receiveOutcomes(limit: Int) -> [ExecutionOutcome]? {
        guard let channel else { return nil }
        do throws(FrameChannel.Closed) {
            let (type, body) = try channel.receive()
            guard type == .outcomes else { stop(); return nil }
            var reader = FrameReader(body: body)
            guard let n = try? reader.u32(), n >= 1, n <= limit else { stop(); return nil }
            var outcomes: [ExecutionOutcome] = []
            outcomes.reserveCapacity(Int(n))
            for _ in 0..<n {
                guard let outcome = try? reader.outcome(backend: configuration.name) else { stop(); return nil }
                outcomes.append(outcome)
            }
            return outcomes
        } catch {
            stop()
            return nil
        }
    }

    /// Sends a frame and collects all `count` outcomes, however many frames they come in.
    private func roundTrip(_ frame: [UInt8], expecting count: Int) -> [ExecutionOutcome]? {
        guard let channel else { return nil }
        do throws(FrameChannel.Closed) { try channel.send(frame) } catch { stop(); return nil }
        var outcomes: [ExecutionOutcome] = []
        while outcomes.count < count {
            guard let chunk = receiveOutcomes(limit: count - outcomes.count) else { return nil }
            outcomes += chunk
        }
        return outcomes
    }

    private func batchFrame(_ items: [WorkItem]) -> [UInt8] {
        var frame = FrameWriter(.batch)
        frame.bytes.reserveCapacity(64 + items.count * 128)
        frame.u32(UInt32(items.count))
        let now = ContinuousClock.now
        for item in items { frame.item(item, now: now) }
        return frame.finish()
    }

    func run(_ items: [WorkItem], progress: () -> Void) -> [ExecutionOutcome] {
        if let failure = ensureStarted() { return items.map { _ in failure } }
        progress()
        if let outcomes = roundTrip(batchFrame(items), expecting: items.count) { return outcomes }
        let failure = fault("worker process died")
        return items.map { _ in failure }
    }

    // MARK: Pipelining (see PipelinedBatchRunner)

    /// Up to 2 × B jobs outstanding, in at most this many frames.
    var pipelineDepth: Int { 8 }

    func send(_ items: [WorkItem], behindRunningBatch: Bool) -> PipelineSendResult {
        if let failure = ensureStarted() { return .failed(failure) }
        let frame = batchFrame(items)
        // Frames queued behind a running batch must fit the pipe together: otherwise a write could
        // block until the child finishes, while the child may block writing its outcomes.
        if behindRunningBatch && outstanding.reduce(0, { $0 + $1.bytes }) + frame.count > pipeCapacity / 2 { return .tooLarge }
        guard let channel else { return .failed(fault("worker process died")) }
        do throws(FrameChannel.Closed) { try channel.send(frame) } catch {
            stop()
            return .failed(fault("worker process died"))
        }
        outstanding.append((frame.count, items.count))
        return .sent
    }

    func receive() -> [ExecutionOutcome]? {
        guard let due = outstanding.first?.due, let outcomes = receiveOutcomes(limit: due) else { return nil }
        if outcomes.count == due { outstanding.removeFirst() } else { outstanding[0].due -= outcomes.count }
        return outcomes
    }

    var outcomesFD: Int32? { channel?.readFD }

    /// The outcome of every item of a batch lost with its worker process.
    var lostBatchOutcome: ExecutionOutcome { fault("worker process died") }

    func probe(healthKey: KeyReference?) -> ExecutionOutcome {
        if let failure = ensureStarted() { return failure }
        var frame = FrameWriter(.probe)
        frame.data(healthKey?.id ?? [])
        return roundTrip(frame.finish(), expecting: 1)?.first ?? fault("worker process died")
    }

    func prepare() -> Bool { ensureStarted() == nil }

    func abort() {
        let p = pid.load(ordering: .relaxed)
        if p > 0 { kill(p, SIGKILL) }
    }
}

extension WorkerMode {
    /// `personahsm-hsm-worker` next to the running executable (or test bundle).
    public static var defaultWorkerExecutable: String {
        var dir = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<3 {
            let candidate = dir.appendingPathComponent("personahsm-hsm-worker").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return "personahsm-hsm-worker"
    }
}
