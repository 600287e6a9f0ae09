// Interop tests run independent implementations (Python cryptography, jwcrypto, jcs) as child
// processes and assert on their exit status and output. This runs one, feeding stdin and
// collecting stdout/stderr without deadlocking on full pipes.

import Foundation

/// The outcome of a finished child process.
public struct SubprocessResult: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String
}

/// Runs child processes for interop checks.
public enum Subprocess {
    /// Runs `python3 <package root>/Tests/interop/<script>` with `arguments`, writing `input` to stdin.
    public static func python(_ script: String, arguments: [String] = [], input: [UInt8] = []) throws -> SubprocessResult {
        let path = SharedTestData.packageRoot.appendingPathComponent("Tests/interop").appendingPathComponent(script).path
        return try run("/usr/bin/env", ["python3", path] + arguments, input: input)
    }

    /// Runs `executable` with `arguments`, writing `input` to its stdin.
    public static func run(_ executable: String, _ arguments: [String], input: [UInt8] = []) throws -> SubprocessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        // Read both outputs on their own threads so a chatty child never blocks on a full pipe.
        let outData = PipeDrain(stdout.fileHandleForReading)
        let errData = PipeDrain(stderr.fileHandleForReading)
        stdin.fileHandleForWriting.write(Data(input))
        try stdin.fileHandleForWriting.close()
        process.waitUntilExit()
        return SubprocessResult(status: process.terminationStatus,
                                stdout: String(decoding: outData.wait(), as: UTF8.self),
                                stderr: String(decoding: errData.wait(), as: UTF8.self))
    }
}

/// Reads a pipe to its end on a background thread.
private final class PipeDrain: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var data = Data()

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
