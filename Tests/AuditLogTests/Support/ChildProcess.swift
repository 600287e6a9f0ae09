// Runs helper processes (python3, audit-harness) without blocking Swift's cooperative pool:
// blocking reads and waits happen on a Dispatch thread and the test awaits the result.

import Foundation

enum ChildProcess {
    /// Runs `executable` to completion; returns its exit status, stdout and stderr.
    static func run(_ executable: String, _ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                // Helpers here write little to stderr, so reading it second cannot fill its pipe.
                let outData = out.fileHandleForReading.readDataToEndOfFile()
                let errorData = err.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                continuation.resume(returning: (process.terminationStatus, String(decoding: outData, as: UTF8.self),
                                                String(decoding: errorData, as: UTF8.self)))
            }
        }
    }

    /// The directory of the running test binary, where SwiftPM also puts the package's executables.
    static var buildDirectory: String {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var directory = URL(fileURLWithPath: executable).deletingLastPathComponent()
        // On some layouts the test binary sits inside `<name>.xctest/`.
        if directory.lastPathComponent.hasSuffix(".xctest") { directory.deleteLastPathComponent() }
        return directory.path
    }

    /// The package root (for `Tests/interop/...`).
    static var packageRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
    }
}
