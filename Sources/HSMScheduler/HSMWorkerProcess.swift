// The body of the `personahsm-hsm-worker` executable: the far end of a `ProcessRunner`. It reads
// the hello frame (module, token, PIN) on stdin, then serves batch and probe frames with one
// `SessionExecutor` — so session recovery and re-initialisation work exactly as in-process —
// until stdin closes.

import Foundation
import Glibc
import PKCS11

/// Entry point of an HSM worker process.
public enum HSMWorkerProcess {
    /// Serves frames on stdin/stdout until the scheduler closes the pipe. Returns the exit code.
    public static func run() -> Int32 {
        signal(SIGPIPE, SIG_IGN)
        let channel = FrameChannel(readFD: 0, writeFD: 1)
        guard let (type, body) = try? channel.receive(), type == .hello else { return 2 }
        var reader = FrameReader(body: body)
        guard let modulePath = try? reader.string(), let tokenLabel = try? reader.string(),
              let pinBytes = try? reader.data() else { return 2 }
        // Absent in a hello from an older scheduler: whole batches, as before.
        let flushMicros = (try? reader.u32()) ?? 0
        let flushInterval: Duration? = flushMicros == 0 ? nil : .microseconds(Int(flushMicros))
        let backend = CommandLine.arguments.count > 2 ? CommandLine.arguments[2] : tokenLabel
        let executor = SessionExecutor(backendName: backend, modulePath: modulePath, tokenLabel: tokenLabel,
                                       pin: PIN(String(decoding: pinBytes, as: UTF8.self)))
        var reply = FrameWriter(.helloReply)
        switch executor.probe(healthKey: nil) {
        case .done, .noSession:
            reply.u8(0); reply.string("ok")
        case .backendFault(let e), .failed(let e):
            reply.u8(1); reply.string("\(e)")
        default:
            reply.u8(1); reply.string("unexpected probe outcome")
        }
        guard (try? channel.send(reply.finish())) != nil else { return 1 }
        while let (type, body) = try? channel.receive() {
            var reader = FrameReader(body: body)
            switch type {
            case .batch:
                guard let n = try? reader.u32() else { return 3 }
                let now = ContinuousClock.now
                var items: [WorkItem] = []
                items.reserveCapacity(Int(n))
                for _ in 0..<n {
                    guard let item = try? reader.item(now: now) else { return 3 }
                    items.append(item)
                }
                guard run(items, on: executor, flushInterval: flushInterval, to: channel) else { return 1 }
            case .probe:
                guard let id = try? reader.data() else { return 3 }
                var out = FrameWriter(.outcomes)
                out.u32(1)
                out.outcome(executor.probe(healthKey: id.isEmpty ? nil : KeyReference(id: id)))
                guard (try? channel.send(out.finish())) != nil else { return 1 }
            default:
                return 3
            }
        }
        return 0
    }

    /// Runs a batch in order and sends its outcomes: what is ready whenever the oldest unsent
    /// outcome awaited alone is `flushInterval` old, and the rest at the end. False when the
    /// scheduler's end is gone.
    private static func run(_ items: [WorkItem], on executor: SessionExecutor, flushInterval: Duration?,
                            to channel: FrameChannel) -> Bool {
        var pending: [ExecutionOutcome] = []
        pending.reserveCapacity(items.count)
        var oldestAlone: ContinuousClock.Instant?
        func flush() -> Bool {
            var out = FrameWriter(.outcomes)
            out.bytes.reserveCapacity(64 + pending.count * 96)
            out.u32(UInt32(pending.count))
            for outcome in pending { out.outcome(outcome) }
            pending.removeAll(keepingCapacity: true)
            oldestAlone = nil
            return (try? channel.send(out.finish())) != nil
        }
        var broken: ExecutionOutcome?
        for item in items {
            // Once the backend has failed, do not hammer it with the rest of the batch.
            let outcome = broken ?? executor.execute(item.operation, key: item.key, deadline: item.deadline)
            switch outcome {
            case .backendFault, .noSession: broken = outcome
            default: break
            }
            pending.append(outcome)
            guard let flushInterval, broken == nil else { continue }
            let now = ContinuousClock.now
            if item.awaitedAlone && oldestAlone == nil { oldestAlone = now }
            if let oldestAlone, now - oldestAlone >= flushInterval, !flush() { return false }
        }
        return pending.isEmpty || flush()
    }
}
