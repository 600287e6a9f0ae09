// Real TLS on loopback: every call shape, statuses with details, identity and metadata reaching
// handlers, interceptors, concurrency over one connection, and graceful shutdown.

import RPCCore
import Testing
@testable import RPCTransport

@Suite struct EndToEndTests {
    @Test func unaryEchoAndErrorStatus() async throws {
        let harness = try TestHarness.start()
        let channel = try harness.channel()
        let reply = try await channel.unary(TestMethods.echo, request: [1, 2, 3], options: CallOptions())
        #expect(reply == [1, 2, 3])
        let empty = try await channel.unary(TestMethods.echo, request: [], options: CallOptions())
        #expect(empty == [])
        do {
            _ = try await channel.unary(TestMethods.fail, request: [], options: CallOptions())
            Issue.record("Fail must throw")
        } catch let error as RPCError {
            #expect(error.code == .notFound)
            #expect(error.message == "no such key")
            #expect(error.details?.reason == "KEY_MISSING")
        }
        await channel.close()
        await harness.stop()
    }

    @Test func handlersSeeIdentityAndMetadata() async throws {
        let harness = try TestHarness.start()
        let channel = try harness.channel()
        var metadata = Metadata()
        metadata.add("x-test", "hello")
        let reply = try await channel.unary(TestMethods.identity, request: [], options: CallOptions(metadata: metadata))
        #expect(String(decoding: reply, as: UTF8.self) == "spiffe://personahsm/role/issuer|issuer-1|hello")
        await channel.close()
        await harness.stop()
    }

    @Test func streamingShapes() async throws {
        let harness = try TestHarness.start()
        let channel = try harness.channel()

        let expand = try await channel.openStream(TestMethods.expand, options: CallOptions())
        try await expand.send([5])
        try await expand.closeSend()
        var received: [[UInt8]] = []
        for try await message in expand.responses { received.append(message) }
        #expect(received == [[0], [1], [2], [3], [4]])

        let collect = StreamingCall<RawBytes, RawBytes>(raw: try await channel.openStream(TestMethods.collect,
                                                                                          options: CallOptions()))
        for chunk in [[1], [2, 3], [4]] as [[UInt8]] { try await collect.send(RawBytes(chunk)) }
        #expect(try await collect.finish() == RawBytes([1, 2, 3, 4]))

        let chat = try await channel.openStream(TestMethods.chat, options: CallOptions())
        var iterator = chat.responses.makeAsyncIterator()
        for round in 0..<20 {
            try await chat.send([UInt8(round), 0xFF])
            #expect(try await iterator.next() == [0xFF, UInt8(round)])
        }
        try await chat.closeSend()
        #expect(try await iterator.next() == nil)
        await channel.close()
        await harness.stop()
    }

    @Test func manyConcurrentCallsOverOneConnection() async throws {
        let harness = try TestHarness.start()
        let channel = try harness.channel()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<500 {
                group.addTask {
                    let request = withUnsafeBytes(of: UInt32(index).bigEndian) { Array($0) }
                    let reply = try await channel.unary(TestMethods.echo, request: request, options: CallOptions())
                    #expect(reply == request)
                }
            }
            try await group.waitForAll()
        }
        #expect(harness.server.connectionCount == 1)
        await channel.close()
        await harness.stop()
    }

    @Test func interceptorsWrapCallsAndCanRefuse() async throws {
        let interceptor = RecordingInterceptor()
        let harness = try TestHarness.start(interceptors: [interceptor])
        let channel = try harness.channel()
        _ = try await channel.unary(TestMethods.echo, request: [7], options: CallOptions())
        var metadata = Metadata()
        metadata.add("x-deny", "1")
        await #expect(throws: RPCError(.permissionDenied, "denied by interceptor")) {
            try await channel.unary(TestMethods.echo, request: [7], options: CallOptions(metadata: metadata))
        }
        #expect(await eventually { interceptor.ended.withLock { $0.count } == 2 })
        let ended = interceptor.ended.withLock { $0 }
        #expect(ended.map(\.0) == ["Echo", "Echo"])
        #expect(ended.map(\.1) == [nil, .permissionDenied])
        await channel.close()
        await harness.stop()
    }

    @Test func responsesBeyondTheClientsFrameLimitFailOnlyThatCall() async throws {
        let harness = try TestHarness.start()
        let channel = try harness.channel { $0.maxFrameSize = 2048 }
        do {
            _ = try await channel.unary(TestMethods.big, request: [0, 0, 16, 0], options: CallOptions())
            Issue.record("a 4 KiB response must not reach a client that accepts 2 KiB frames")
        } catch let error as RPCError {
            #expect(error.code == .resourceExhausted)
            #expect(error.message.contains("frame limit of 2048"))
        }
        #expect(try await channel.unary(TestMethods.big, request: [0, 0, 4, 0], options: CallOptions()).count == 1024)
        #expect(harness.server.connectionCount == 1)
        await channel.close()
        await harness.stop()
    }

    @Test func gracefulShutdownFinishesCallsInFlight() async throws {
        let harness = try TestHarness.start()
        let channel = try harness.channel()
        async let slow = channel.unary(TestMethods.slow, request: [9], options: CallOptions())
        #expect(await eventually { harness.probe.slowStarted.load(ordering: .relaxed) == 1 })
        let shutdown = Task { await harness.server.shutdown(gracefully: true, timeout: .seconds(10)) }
        #expect(try await slow == [9])
        await shutdown.value
        #expect(harness.server.connectionCount == 0)
        await #expect(throws: RPCError.self) {
            try await channel.unary(TestMethods.echo, request: [1], options: CallOptions(timeout: .seconds(1)))
        }
        await channel.close()
    }
}

/// Raw bytes as a WireMessage, for the typed streaming wrapper.
struct RawBytes: WireMessage {
    var bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    init(serializedBytes: [UInt8]) throws { bytes = serializedBytes }
    func serializedBytes() -> [UInt8] { bytes }
}
