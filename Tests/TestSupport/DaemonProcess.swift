// A long-running child process for tests that need real server processes (personahsmd on
// loopback): output collected on background threads, a wait for a line such as "listening on",
// and a real SIGKILL or SIGTERM. Suites that start servers should build on this instead of
// spawning processes by hand.

import Foundation

/// A running child process whose output a test can wait on.
public final class DaemonProcess: @unchecked Sendable {
    // @unchecked: `process` is only started and stopped; output goes through `condition`.
    public let process: Process
    private let condition = NSCondition()
    private var collected = ""

    /// Starts `executable` with `arguments`; `environment` entries are added to this process's.
    public init(executable: String, arguments: [String], environment: [String: String] = [:]) throws {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw DaemonProcessError("\(executable) is missing: run `swift build --build-tests` first")
        }
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        try process.run()
        for handle in [stdout.fileHandleForReading, stderr.fileHandleForReading] {
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

    /// `.build/debug/<name>` of this package.
    public static func binary(_ name: String) -> String {
        SharedTestData.packageRoot.appendingPathComponent(".build/debug/\(name)").path
    }

    /// Everything the process printed so far (stdout and stderr interleaved).
    public var output: String {
        condition.lock()
        defer { condition.unlock() }
        return collected
    }

    /// The first output line containing `needle`, waiting up to `timeout`; nil on timeout or exit.
    public func waitForLine(containing needle: String, timeout: Duration) -> String? {
        let deadline = Date().addingTimeInterval(Double(timeout.components.seconds))
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let line = collected.split(separator: "\n").first(where: { $0.contains(needle) }) { return String(line) }
            if !process.isRunning { return nil }
            _ = condition.wait(until: min(deadline, Date().addingTimeInterval(0.2)))
            if Date() >= deadline { return nil }
        }
    }

    public var isRunning: Bool { process.isRunning }

    /// SIGKILL, then reap.
    public func kill9() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// SIGTERM, then reap; SIGKILL if the process is still running after `grace` (a signal that
    /// arrives before the child installed its handlers can be lost). Returns the exit status.
    @discardableResult
    public func terminate(grace: Duration = .seconds(15)) -> Int32 {
        if process.isRunning { process.terminate() }
        let deadline = ContinuousClock.now + grace
        while process.isRunning && ContinuousClock.now < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return process.terminationStatus
    }
}

/// A child process that could not be started or did not come up.
public struct DaemonProcessError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
