// Byte-level services the transport tests call: echo in all four shapes, a slow method that
// records whether it saw cancellation, a large-response method, and the harness that starts a
// server and a channel on loopback with port 0.

import Foundation
import RPCCore
import Synchronization
@testable import RPCTransport

enum TestMethods {
    static let echo = MethodDescriptor(service: "test.Echo", method: "Echo", kind: .unary, isIdempotent: true)
    static let fail = MethodDescriptor(service: "test.Echo", method: "Fail", kind: .unary, isIdempotent: false)
    static let expand = MethodDescriptor(service: "test.Echo", method: "Expand", kind: .serverStreaming,
                                         isIdempotent: true)
    static let collect = MethodDescriptor(service: "test.Echo", method: "Collect", kind: .clientStreaming,
                                          isIdempotent: false)
    static let chat = MethodDescriptor(service: "test.Echo", method: "Chat", kind: .bidiStreaming, isIdempotent: false)
    static let slow = MethodDescriptor(service: "test.Echo", method: "Slow", kind: .unary, isIdempotent: false)
    static let big = MethodDescriptor(service: "test.Echo", method: "Big", kind: .unary, isIdempotent: true)
    static let identity = MethodDescriptor(service: "test.Echo", method: "Identity", kind: .unary, isIdempotent: true)
    static let missing = MethodDescriptor(service: "test.Echo", method: "Missing", kind: .unary, isIdempotent: true)

    /// Byte i is (7i + 3) mod 256: position-dependent, so a lost or reordered chunk shows.
    static func bigPayload(size: Int) -> [UInt8] {
        let block = (0..<256).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        var payload: [UInt8] = []
        payload.reserveCapacity(size + 256)
        while payload.count < size { payload.append(contentsOf: block) }
        payload.removeLast(payload.count - size)
        return payload
    }
}

/// Observations a test can wait for.
final class Probe: Sendable {
    let slowStarted = Atomic<Int>(0)
    let slowSawCancellation = Atomic<Int>(0)
    let slowCompleted = Atomic<Int>(0)
    let slowInFlight = Atomic<Int>(0)
    let slowMostInFlight = Atomic<Int>(0)
}

struct EchoService: RegistrableService {
    let probe: Probe

    var serverMethods: [ServerMethod] {
        let probe = self.probe
        return [
            ServerMethod(descriptor: TestMethods.echo, handler: .unary { request, _ in request }),
            ServerMethod(descriptor: TestMethods.fail, handler: .unary { _, _ in
                throw RPCError(.notFound, "no such key", details: ErrorDetails(reason: "KEY_MISSING", subject: "name"))
            }),
            ServerMethod(descriptor: TestMethods.identity, handler: .unary { _, context in
                Array("\(context.peer.name)|\(context.peer.commonName ?? "")|\(context.metadata["x-test"] ?? "")".utf8)
            }),
            ServerMethod(descriptor: TestMethods.big, handler: .unary { request, _ in
                let size = request.count >= 4 ? Int(request[0]) << 24 | Int(request[1]) << 16 | Int(request[2]) << 8 | Int(request[3]) : 0
                return TestMethods.bigPayload(size: size)
            }),
            ServerMethod(descriptor: TestMethods.slow, handler: .unary { request, context in
                probe.slowStarted.add(1, ordering: .relaxed)
                let running = probe.slowInFlight.add(1, ordering: .relaxed).newValue
                defer { probe.slowInFlight.subtract(1, ordering: .relaxed) }
                probe.slowMostInFlight.max(running, ordering: .relaxed)
                for _ in 0..<(Int(request.first ?? 50) * 10) {
                    if context.cancellation.isCancelled || Task.isCancelled {
                        probe.slowSawCancellation.add(1, ordering: .relaxed)
                        throw CancellationError()
                    }
                    try? await Task.sleep(for: .milliseconds(10))
                }
                probe.slowCompleted.add(1, ordering: .relaxed)
                return request
            }),
            ServerMethod(descriptor: TestMethods.expand, handler: .streaming { requests, writer, _ in
                for try await request in requests {
                    let count = Int(request.first ?? 0)
                    for index in 0..<count { try await writer.write([UInt8(index)]) }
                }
            }),
            ServerMethod(descriptor: TestMethods.collect, handler: .streaming { requests, writer, _ in
                var total: [UInt8] = []
                for try await request in requests { total += request }
                try await writer.write(total)
            }),
            ServerMethod(descriptor: TestMethods.chat, handler: .streaming { requests, writer, _ in
                for try await request in requests { try await writer.write(request.reversed()) }
            }),
        ]
    }
}

/// Records the calls interceptors see.
final class RecordingInterceptor: ServerInterceptor {
    let ended = Mutex<[(String, StatusCode?)]>([])

    func callStarting(_ context: ServerContext) async throws -> ServerContext {
        if context.metadata["x-deny"] != nil { throw RPCError(.permissionDenied, "denied by interceptor") }
        var context = context
        context.attributes["role"] = "tester"
        return context
    }

    func callEnded(_ context: ServerContext, status: RPCError?, elapsed: Duration) {
        ended.withLock { $0.append((context.method.method, status?.code)) }
    }
}

/// A running server plus helpers to make channels to it.
struct TestHarness {
    let server: RPCServer
    let port: Int
    let probe: Probe

    static func start(configuration: RPCServerConfiguration = RPCServerConfiguration(eventLoopThreads: 2),
                      interceptors: [any ServerInterceptor] = [], tls: TLSConfiguration? = nil) throws -> TestHarness {
        let probe = Probe()
        let server = try RPCServer(configuration: configuration, tls: tls ?? TestPKI.shared.serverTLS(),
                                   services: [EchoService(probe: probe)], interceptors: interceptors)
        let port = try server.start()
        return TestHarness(server: server, port: port, probe: probe)
    }

    func channel(tls: TLSConfiguration? = nil, serverName: String? = nil, connections: Int = 1,
                 configure: (inout RPCChannelConfiguration) -> Void = { _ in }) throws -> RPCChannel {
        var configuration = RPCChannelConfiguration(
            endpoints: [RPCEndpoint(host: "127.0.0.1", port: port, serverName: serverName ?? "localhost")],
            tls: try tls ?? TestPKI.shared.clientTLS(), connectionsPerEndpoint: connections,
            connectTimeout: .seconds(3), backoff: Backoff(initial: .milliseconds(10), maximum: .milliseconds(200)))
        configure(&configuration)
        return try RPCChannel(configuration: configuration)
    }

    func stop() async { await server.shutdown(gracefully: false) }
}

/// Polls `condition` until it holds or `timeout` passes.
func eventually(timeout: Duration = .seconds(5), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}
