// A personahsmd child process for the abuse suite: each test gets its own dev environment, its
// own SoftHSM2 token and kernel-chosen ports, so a case that crashes or starves the server can
// never take another test's server with it, and the checks read that process's /proc counters.

import Foundation
import TestSupport

/// A running `personahsmd --dev` on 127.0.0.1 with both ports read back from its banner.
final class AbuseServer: @unchecked Sendable {
    let process: Process
    let devRoot: String
    let port: Int
    let opsPort: Int
    private let log: LogCollector

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }
    var output: String { log.text }

    /// `.build/debug/<name>`, built by `swift build --build-tests` / `swift test`.
    static func binary(_ name: String) throws -> String {
        let path = SharedTestData.packageRoot.appendingPathComponent(".build/debug/\(name)").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw AbuseServerError("\(path) is missing: run `swift build --build-tests` first")
        }
        return path
    }

    /// Starts a server in a fresh temp folder and waits until it listens.
    init() throws {
        devRoot = FileManager.default.temporaryDirectory
            .appendingPathComponent("abuse-\(UUID().uuidString.prefix(8))").path
        process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.binary("personahsmd"))
        process.arguments = ["--dev", "--dev-root", devRoot, "--listen", "127.0.0.1:0", "--ops-listen", "127.0.0.1:0"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        log = LogCollector(pipe.fileHandleForReading)
        try process.run()
        // "personahsmd listening on 127.0.0.1:PORT (ops port OPS)"
        guard let line = log.waitForLine(containing: "personahsmd listening on", seconds: 90) else {
            process.terminate()
            throw AbuseServerError("personahsmd did not start: \(log.text)")
        }
        let numbers = line.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        guard numbers.count >= 6 else {
            process.terminate()
            throw AbuseServerError("cannot read the ports from: \(line)")
        }
        port = numbers[4]
        opsPort = numbers[numbers.count - 1]
    }

    /// Runs `Tests/interop/<script>` with the server's coordinates first.
    func python(_ script: String, _ arguments: [String]) throws -> SubprocessResult {
        try Subprocess.python(script, arguments: arguments)
    }

    /// `personahsm audit verify` on this server's log.
    func verifyAudit() throws -> SubprocessResult {
        try Subprocess.run(try Self.binary("personahsm"), ["audit", "verify", devRoot + "/audit/audit.log"])
    }

    /// Open file descriptors and threads of the server process.
    func resourceCounts() -> (fds: Int, threads: Int)? {
        let manager = FileManager.default
        guard let fds = try? manager.contentsOfDirectory(atPath: "/proc/\(pid)/fd"),
              let tasks = try? manager.contentsOfDirectory(atPath: "/proc/\(pid)/task") else { return nil }
        return (fds.count, tasks.count)
    }

    /// SIGTERM and reap; removes the dev folder.
    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: devRoot)
    }
}

/// Runs blocking work (process start, waiting on a child) on a thread of its own: blocking a
/// Swift Testing task would take one of the two cooperative-pool threads from every other suite
/// in the process, and their in-process servers' handlers would stall.
func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}

struct AbuseServerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Collects a child's combined output on a background thread.
private final class LogCollector: @unchecked Sendable {
    private let condition = NSCondition()
    private var collected = ""

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                condition.lock()
                collected += String(decoding: data, as: UTF8.self)
                condition.broadcast()
                condition.unlock()
            }
        }
    }

    var text: String {
        condition.lock()
        defer { condition.unlock() }
        return collected
    }

    func waitForLine(containing needle: String, seconds: Double) -> String? {
        let deadline = Date().addingTimeInterval(seconds)
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let line = collected.split(separator: "\n").first(where: { $0.contains(needle) }) { return String(line) }
            if !condition.wait(until: deadline) { return nil }
        }
    }
}
