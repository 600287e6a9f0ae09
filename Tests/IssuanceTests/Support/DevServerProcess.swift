// A real `personahsmd --dev` in a child process, with its own temp dev root and kernel-chosen
// ports: isolated from every other suite (its own SoftHSM2 token and C_Initialize), and killable
// with SIGKILL for the crash test. The binaries come from `.build/debug` (the Makefile's test
// target builds them before the tests).

import Foundation
import TestSupport

/// Paths of the package's debug executables.
enum Binaries {
    static let folder = SharedTestData.packageRoot.appendingPathComponent(".build/debug").path
    static var personahsmd: String { folder + "/personahsmd" }
    static var personahsm: String { folder + "/personahsm" }

    static func require() throws {
        for path in [personahsmd, personahsm] where !FileManager.default.isExecutableFile(atPath: path) {
            throw TestFailure("\(path) is missing: run `swift build` before the tests")
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// One running personahsmd.
final class DevServerProcess: @unchecked Sendable {
    // @unchecked: used from one test at a time.
    let root: String
    let process: Process
    let endpoint: String
    private let errorLog: FileHandle

    /// Starts personahsmd on `root` (created on first run) and waits until it listens.
    init(root: String) throws {
        try Binaries.require()
        self.root = root
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        process = Process()
        process.executableURL = URL(fileURLWithPath: Binaries.personahsmd)
        process.arguments = ["--dev", "--dev-root", root, "--listen", "127.0.0.1:0", "--ops-listen", "127.0.0.1:0"]
        let stdout = Pipe()
        process.standardOutput = stdout
        _ = FileManager.default.createFile(atPath: root + "/server.stderr", contents: nil)
        errorLog = try FileHandle(forWritingTo: URL(fileURLWithPath: root + "/server.stderr"))
        errorLog.seekToEndOfFile()
        process.standardError = errorLog
        try process.run()
        // The first stdout line says where it listens: "personahsmd listening on HOST:PORT (ops port N)".
        var line = Data()
        let reader = stdout.fileHandleForReading
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let range = text.range(of: "listening on "),
              let endpoint = text[range.upperBound...].split(separator: " ").first else {
            process.terminate()
            let log = (try? String(contentsOfFile: root + "/server.stderr", encoding: .utf8)) ?? ""
            throw TestFailure("personahsmd did not start: \(text) \(log.suffix(2000))")
        }
        self.endpoint = String(endpoint)
    }

    /// Graceful stop (SIGTERM) and wait.
    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? errorLog.close()
    }

    /// Crash (SIGKILL) and wait.
    func kill() {
        if process.isRunning {
            _ = Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? errorLog.close()
    }

    deinit { stop() }

    /// Runs the `personahsm` CLI against this server.
    func cli(_ arguments: [String], role: String = "admin") throws -> SubprocessResult {
        try Subprocess.run(Binaries.personahsm, arguments + ["--server", endpoint, "--dev-root", root, "--role", role])
    }

    /// Creates an Ed25519 key and returns its raw public key as hex.
    func createIssuerKey(_ name: String) throws -> String {
        let created = try cli(["keys", "create", name, "--algorithm", "ed25519"])
        guard created.status == 0 else { throw TestFailure("keys create failed: \(created.stderr)") }
        let exported = try cli(["keys", "public-key", name, "--format", "raw"], role: "issuer")
        guard exported.status == 0 else { throw TestFailure("public-key failed: \(exported.stderr)") }
        return exported.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A fresh temp folder for one test.
    static func temporaryFolder(_ name: String) -> String {
        let path = NSTemporaryDirectory() + "issuance-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
