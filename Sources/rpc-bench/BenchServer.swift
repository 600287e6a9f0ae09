// The server half of `make bench-rpc`, run as a child process so its RSS is measured alone: a
// no-op echo method and a stats method reporting open connections and resident memory.

import Foundation
import RPCCore
import RPCTransport

enum BenchMethods {
    static let echo = MethodDescriptor(service: "bench.Bench", method: "Echo", kind: .unary, isIdempotent: true)
    static let stats = MethodDescriptor(service: "bench.Bench", method: "Stats", kind: .unary, isIdempotent: true)
}

struct BenchService: RegistrableService {
    let connections: @Sendable () -> Int

    var serverMethods: [ServerMethod] {
        let connections = self.connections
        return [
            ServerMethod(descriptor: BenchMethods.echo, handler: .unary { request, _ in request }),
            ServerMethod(descriptor: BenchMethods.stats, handler: .unary { _, _ in
                Array("\(connections()) \(ResidentMemory.kibibytes())".utf8)
            }),
        ]
    }
}

enum ResidentMemory {
    /// VmRSS of this process in KiB.
    static func kibibytes(pid: String = "self") -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        }
        return 0
    }
}

/// Runs the server until stdin closes; prints `PORT <n>` once listening.
func runBenchServer(pki: DevPKIDirectory, immediate: Bool) async throws {
    let holder = ServerHolder()
    let server = try RPCServer(
        configuration: serverConfiguration(immediate: immediate),
        tls: TLSConfiguration(credentials: .files(pki.serverCredentials)),
        services: [BenchService(connections: { holder.server?.connectionCount ?? 0 })])
    holder.server = server
    let port = try server.start()
    print("PORT \(port)")
    fflush(nil)
    // The parent closes our stdin to stop us.
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        Thread.detachNewThread {
            while readLine() != nil {}
            continuation.resume()
        }
    }
    await server.shutdown(gracefully: false)
}

/// Two loops by default; BENCH_SERVER_LOOPS and BENCH_SERVER_CPUS (e.g. "1") change the threads
/// and their pinning for experiments (docs/PERFORMANCE.md, "Where the tail comes from").
func serverConfiguration(immediate: Bool) -> RPCServerConfiguration {
    var configuration = RPCServerConfiguration(eventLoopThreads: BenchKnobs.integer("BENCH_SERVER_LOOPS") ?? 2,
                                               maxConnections: 5000, keepaliveInterval: .seconds(60),
                                               runsUnaryHandlersImmediately: immediate)
    configuration.eventLoopCPUs = BenchKnobs.cpus("BENCH_SERVER_CPUS")
    return configuration
}

/// Experiment settings read from the environment (the server child inherits them).
enum BenchKnobs {
    static func integer(_ name: String) -> Int? {
        ProcessInfo.processInfo.environment[name].flatMap { Int($0) }
    }

    static func cpus(_ name: String) -> [Int] {
        (ProcessInfo.processInfo.environment[name] ?? "").split(separator: ",").compactMap { Int($0) }
    }

    /// Whether phase `name` runs (BENCH_PHASES, comma-separated; all by default).
    static func runs(_ name: String) -> Bool {
        guard let phases = ProcessInfo.processInfo.environment["BENCH_PHASES"] else { return true }
        return phases.split(separator: ",").contains { $0 == name }
    }
}

final class ServerHolder: @unchecked Sendable {
    // Written once before the server starts accepting, read afterwards.
    var server: RPCServer?
}
