// Runs an external program (protoc, the check-generated script) from a test and captures its
// output, and locates the package root so tests can use files of the source tree.

import Foundation

/// The result of running a program to completion.
public struct ToolResult: Sendable {
    public let status: Int32
    public let stdout: [UInt8]
    public let stderr: String

    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
}

/// Helpers to run tools of the development machine.
public enum ExternalTool {
    /// The package root (the directory holding Package.swift).
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Runs `executable` (looked up on PATH when it has no slash) with `arguments`, feeding `input`.
    public static func run(_ executable: String, _ arguments: [String], input: [UInt8] = [],
                           environment: [String: String] = [:], in directory: URL = packageRoot) throws -> ToolResult {
        let process = Process()
        if executable.hasPrefix("/") {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        } else if executable.contains("/") {
            process.executableURL = directory.appendingPathComponent(executable)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [executable] + arguments
        }
        process.currentDirectoryURL = directory
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        // Read both pipes on their own threads so a chatty child cannot block on a full pipe.
        let output = ReadBuffer(stdout.fileHandleForReading)
        let errors = ReadBuffer(stderr.fileHandleForReading)
        try stdin.fileHandleForWriting.write(contentsOf: Data(input))
        try stdin.fileHandleForWriting.close()
        process.waitUntilExit()
        return ToolResult(status: process.terminationStatus, stdout: [UInt8](output.wait()),
                          stderr: String(decoding: errors.wait(), as: UTF8.self))
    }
}

/// Reads a file handle to its end on a background thread.
private final class ReadBuffer: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    func wait() -> Data {
        done.wait()
        return data
    }
}
