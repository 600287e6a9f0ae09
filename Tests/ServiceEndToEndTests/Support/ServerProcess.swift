// personahsmd as a child process, for the crash test: its own SoftHSM2 instance in its own
// process, a dev environment in a temp folder, ports chosen by the kernel (`:0`) and read back
// from the "listening on" line it prints, and a real SIGKILL.

import Foundation
import Synchronization
import TestSupport

/// A running `personahsmd --dev`.
final class ServerProcess: @unchecked Sendable {
    let process: Process
    let port: Int
    let devRoot: String
    private let output: OutputCollector

    var endpoint: String { "127.0.0.1:\(port)" }
    var auditPath: String { devRoot + "/audit/audit.log" }

    /// `.build/debug/<name>` of this package (built by `swift build --build-tests` / `swift test`).
    static func binary(_ name: String) throws -> String {
        let path = SharedTestData.packageRoot.appendingPathComponent(".build/debug/\(name)").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw ServerProcessError("\(path) is missing: run `swift build --build-tests` first")
        }
        return path
    }

    /// Starts the server and waits (up to `timeout`) until it listens.
    init(devRoot: String, timeout: Duration = .seconds(60)) throws {
        self.devRoot = devRoot
        process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.binary("personahsmd"))
        process.arguments = ["--dev", "--dev-root", devRoot, "--listen", "127.0.0.1:0", "--ops-listen", "127.0.0.1:0"]
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        output = OutputCollector(stdout: stdout.fileHandleForReading, stderr: stderr.fileHandleForReading)
        try process.run()
        guard let line = output.waitForLine(containing: "personahsmd listening on", timeout: timeout),
              let portText = line.split(separator: " ").dropFirst(3).first?.split(separator: ":").last,
              let port = Int(portText) else {
            process.terminate()
            throw ServerProcessError("personahsmd did not start: \(output.text)")
        }
        self.port = port
    }

    /// SIGKILL, then reap.
    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM (graceful drain and final checkpoint), then reap.
    func terminate() -> Int32 {
        process.terminate()
        process.waitUntilExit()
        return process.terminationStatus
    }

    var log: String { output.text }
}

struct ServerProcessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Collects a child's stdout and stderr on background threads and lets a caller wait for a line.
private final class OutputCollector: @unchecked Sendable {
    private let condition = NSCondition()
    private var collected = ""

    init(stdout: FileHandle, stderr: FileHandle) {
        for handle in [stdout, stderr] {
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
    }

    var text: String {
        condition.lock()
        defer { condition.unlock() }
        return collected
    }

    func waitForLine(containing needle: String, timeout: Duration) -> String? {
        let deadline = Date().addingTimeInterval(Double(timeout.components.seconds))
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let line = collected.split(separator: "\n").first(where: { $0.contains(needle) }) { return String(line) }
            if !condition.wait(until: deadline) { return nil }
        }
    }
}
