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
            var out = FrameWriter(.outcomes)
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
                out.bytes.reserveCapacity(64 + Int(n) * 96)
                out.u32(n)
                var broken: ExecutionOutcome?
                for item in items {
                    if let broken { out.outcome(broken); continue }
                    let outcome = executor.execute(item.operation, key: item.key, deadline: item.deadline)
                    switch outcome {
                    case .backendFault, .noSession: broken = outcome
                    default: break
                    }
                    out.outcome(outcome)
                }
            case .probe:
                guard let id = try? reader.data() else { return 3 }
                out.u32(1)
                out.outcome(executor.probe(healthKey: id.isEmpty ? nil : KeyReference(id: id)))
            default:
                return 3
            }
            guard (try? channel.send(out.finish())) != nil else { return 1 }
        }
        return 0
    }
}
