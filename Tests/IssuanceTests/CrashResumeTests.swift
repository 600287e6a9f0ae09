// Crash and resume: an issue job over ~2000 documents is killed with SIGKILL together with its
// server, both are restarted, and the job is rerun. The output must hold every document exactly
// once, every credential must verify, and every signature in it must have its audit record.
// A second test tears the output's last line by hand (what a crash mid-write leaves) and checks
// the rerun cuts it off and rewrites the identical line.

import Credentials
import Foundation
import PersonaClient
import Testing
import TestSupport

@Suite("Issuance crash and resume", .serialized)
struct CrashResumeTests {
    @Test("kill -9 of job and server mid-run, restart, rerun: each document exactly once, all verify, all audited")
    func killAndResume() async throws {
        let work = DevServerProcess.temporaryFolder("crash")
        defer { try? FileManager.default.removeItem(atPath: work) }
        var server = try DevServerProcess(root: work + "/dev")
        let publicKeyHex = try server.createIssuerKey("crash-issuer")
        let count = 2000
        let input = work + "/in.jsonl", output = work + "/out.jsonl"
        try SampleCredentialFactory(seed: 7, malformedEvery: 100).writeJSONLines(count: count, to: input)

        func jobArguments() -> [String] {
            [Binaries.personahsm, "issue", input, "--key", "crash-issuer", "--out", output, "--format", "both",
             "--chunk", "32", "--window", "4", "--progress", "lines",
             "--server", server.endpoint, "--dev-root", server.root, "--role", "issuer"]
        }
        let job = Process()
        job.executableURL = URL(fileURLWithPath: jobArguments()[0])
        job.arguments = Array(jobArguments().dropFirst())
        job.standardOutput = FileHandle.nullDevice
        job.standardError = FileHandle.nullDevice
        try job.run()
        // Wait for part of the output, then crash both processes.
        let deadline = Date().addingTimeInterval(240)
        while Self.lineCount(output) < 300, job.isRunning, Date() < deadline { usleep(20_000) }
        _ = kill(job.processIdentifier, SIGKILL)
        job.waitUntilExit()
        server.kill()
        let before = Self.lineCount(output)
        #expect(before >= 300 && before < count, "the job must be killed mid-run (had \(before) lines)")

        server = try DevServerProcess(root: work + "/dev")
        defer { server.stop() }
        let rerun = try Subprocess.run(jobArguments()[0], Array(jobArguments().dropFirst()))
        #expect(rerun.status == 0, "\(rerun.stdout) \(rerun.stderr)")
        #expect(rerun.stdout.contains("skipped:"))

        let records = try SuiteIssuanceTests.records(output)
        let rejects = try SuiteIssuanceTests.records(IssuanceJob.defaultRejectsPath(for: output))
        let ids = records.compactMap { $0["id"]?.stringValue } + rejects.compactMap { $0["id"]?.stringValue }
        #expect(ids.count == count)
        #expect(Set(ids).count == count, "a document was written twice")
        #expect(rejects.count == count / 100)
        let expected = Set(try IssuanceInput.load(input).map(\.id))
        #expect(Set(ids) == expected)

        let report = try await CredentialFileVerifier().verify(path: output)
        #expect(report.failures.isEmpty && report.verified == 2 * records.count)
        let python = try Subprocess.python("issue_verify.py", arguments: [
            output, publicKeyHex, "--expect", String(2 * records.count), "--audit", server.root + "/audit/audit.log"])
        #expect(python.status == 0, "\(python.stdout) \(python.stderr)")
    }

    @Test("a torn last line is dropped on resume and rewritten identically")
    func tornTail() async throws {
        let work = DevServerProcess.temporaryFolder("torn")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let input = work + "/in.jsonl", output = work + "/out.jsonl"
        try SampleCredentialFactory(seed: 11, malformedEvery: 0).writeJSONLines(count: 60, to: input)
        let signer = try SoftwareCredentialSigner.generate()
        let configuration = IssuanceJob.Configuration(input: input, output: output, format: .both, chunkSize: 7)
        let first = try await IssuanceJob(configuration: configuration, signer: signer).run()
        #expect(first.issued == 60 && first.signatures == 120)
        let complete = try Data(contentsOf: URL(fileURLWithPath: output))

        try complete.dropLast(57).write(to: URL(fileURLWithPath: output))
        let second = try await IssuanceJob(configuration: configuration, signer: signer).run()
        #expect(second.issued == 1 && second.skipped == 59)
        #expect(try Data(contentsOf: URL(fileURLWithPath: output)) == complete)

        let third = try await IssuanceJob(configuration: configuration, signer: signer).run()
        #expect(third.issued == 0 && third.skipped == 60)

        var other = configuration
        other.format = .jwt
        await #expect(throws: IssuanceError.self) { try await IssuanceJob(configuration: other, signer: signer).run() }
    }

    static func lineCount(_ path: String) -> Int {
        guard let data = FileManager.default.contents(atPath: path) else { return 0 }
        return data.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
    }
}
