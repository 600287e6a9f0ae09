// The process the crash test kills. Tasks append as fast as they can and print each receipt the
// moment `append` returns — one write(2) per line, no buffering — so whatever the test read
// before the SIGKILL is exactly what "clients received", and each must be in the log.

import AuditLog
import SoftCrypto

#if canImport(Glibc)
import Glibc
#endif

/// `crash-writer <log> <hmac-key-hex> [--tasks N] [--checkpoint-interval N] [--timeout-ms N]
/// [--chunked-writes]`: appends until killed.
struct CrashWriter {
    let path: String
    let key: [UInt8]
    var tasks = 16
    var checkpointInterval: UInt64 = 100
    var timeout: Duration = .seconds(1)
    /// Write each batch in small pieces with pauses, like a slow disk, so that a SIGKILL often
    /// lands in the middle of a batch and leaves a torn tail.
    var chunkedWrites = false

    init(arguments: [String]) throws {
        guard arguments.count >= 2, let key = [UInt8](hexString: arguments[1]) else {
            throw AuditError(.invalidArgument, "crash-writer needs <log> <hmac-key-hex>")
        }
        path = arguments[0]
        self.key = key
        var rest = arguments.dropFirst(2).makeIterator()
        while let flag = rest.next() {
            switch flag {
            case "--tasks": tasks = rest.next().flatMap { Int($0) } ?? tasks
            case "--checkpoint-interval": checkpointInterval = rest.next().flatMap { UInt64($0) } ?? checkpointInterval
            case "--timeout-ms": timeout = .milliseconds(rest.next().flatMap { Int64($0) } ?? 1000)
            case "--chunked-writes": chunkedWrites = true
            default: throw AuditError(.invalidArgument, "unknown option \(flag)")
            }
        }
    }

    func run() async throws {
        var options = AuditLogOptions(signer: HMACCheckpointSigner(key: key, keyName: "audit-hmac"),
                                      checkpointInterval: checkpointInterval, durabilityTimeout: timeout)
        if chunkedWrites {
            options.wrapSink = { inner in ChunkedWriteSink(wrapping: inner) }
        }
        let log = try AuditLog.open(path: path, options: options)
        CrashWriter.emit("READY \(log.status().lastSeq)\n")
        let pid = getpid()
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<tasks {
                group.addTask {
                    var counter = 0
                    while true {
                        counter += 1
                        let client = "p\(pid)-t\(task)-n\(counter)"
                        let fakeSignature = SHA256.hash(Array(client.utf8))
                        let event = AuditEvent(
                            identity: "spiffe://persona.test/client-\(task)", method: "/persona.hsm.v1.SigningService/Sign",
                            keyName: "did-key-\(task % 4)", keyVersion: 1, requestSHA256: SHA256.hash(Array("req-\(client)".utf8)),
                            outcome: "OK", extra: ["client": client, "signature_sha256": SHA256.hash(fakeSignature).hexString])
                        do {
                            let receipt = try await log.append(event)
                            CrashWriter.emit("R \(receipt.seq) \(receipt.hash.hexString) \(client)\n")
                        } catch {
                            CrashWriter.emit("E \(client) \(error)\n")
                        }
                    }
                }
            }
        }
    }

    /// One unbuffered write(2) to stdout: a line under PIPE_BUF reaches the pipe whole or not at all.
    static func emit(_ line: String) {
        let bytes = Array(line.utf8)
        _ = bytes.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
    }
}
