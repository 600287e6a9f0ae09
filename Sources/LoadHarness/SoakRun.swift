// `--soak`: a long closed-loop run that samples the server's resident memory and open file
// descriptors from /proc every 10 s, to catch leaks a short benchmark cannot see.

import Foundation

/// A soak test against a local server process.
public struct SoakRun: Sendable {
    public var runner: LoadRunner
    public var connections: Int
    public var serverPID: Int32

    public init(runner: LoadRunner, connections: Int, serverPID: Int32) {
        self.runner = runner
        self.connections = connections
        self.serverPID = serverPID
    }

    /// Resident set size in KiB and open descriptors of `pid`, read from /proc.
    public static func sample(pid: Int32) -> (rssKiB: Int, openFiles: Int)? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kib = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return nil }
        let files = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
        return (kib, files)
    }

    public func run(for duration: Duration) async -> LoadResult {
        let sampler = Task {
            let start = ContinuousClock.now
            while !Task.isCancelled {
                if let sample = Self.sample(pid: serverPID) {
                    let seconds = (ContinuousClock.now - start).components.seconds
                    FileHandle.standardError.write(Data(
                        "soak t=\(seconds)s server_rss_kib=\(sample.rssKiB) server_open_files=\(sample.openFiles)\n".utf8))
                }
                try? await Task.sleep(for: .seconds(10))
            }
        }
        let result = await runner.run(.closedLoop(concurrency: connections), duration: duration)
        sampler.cancel()
        return result
    }
}
