// The generated client stubs and handler protocol of the fixture's service, wired together by
// an in-memory transport (bytes still go through encode/decode): all four call shapes, the
// descriptors' ids and idempotency flags, and malformed requests rejected before the handler.

import KitchenSinkProtos
import ProtoTestSupport
import RPCCore
import Testing

/// A handler that echoes, so every call shape has an observable result.
struct EchoKitchen: KitchenServiceHandler {
    func getSink(_ request: Empty, context: ServerContext) async throws -> KitchenSink {
        KitchenSink(fString: "for \(context.peer.name)", labels: ["method": context.method.method])
    }

    func watchSinks(_ request: Empty, writer: ResponseWriter<KitchenSink>, context: ServerContext) async throws {
        for index in 0..<3 { try await writer.write(KitchenSink(fInt32: Int32(index))) }
    }

    func upload(_ requests: AsyncThrowingMapSequence<RawRequestStream, KitchenSink>,
                context: ServerContext) async throws -> Empty {
        var total: Int32 = 0
        for try await request in requests { total += request.fInt32 }
        guard total == 6 else { throw RPCError(.invalidArgument, "expected a total of 6, got \(total)") }
        return Empty()
    }

    func chat(_ requests: AsyncThrowingMapSequence<RawRequestStream, Outer>, writer: ResponseWriter<Outer>,
              context: ServerContext) async throws {
        for try await request in requests {
            var reply = request
            reply.deepByName["echo"] = Outer.Middle.Deep(leaf: "\(request.middles.count)")
            try await writer.write(reply)
        }
    }

    func checkpointSink(_ request: Empty, context: ServerContext) async throws -> Empty { Empty() }

    func describe(_ request: Empty, context: ServerContext) async throws -> Outer {
        Outer(middle: Outer.Middle(deep: Outer.Middle.Deep(leaf: "described")))
    }
}

@Suite("Generated client and server stubs")
struct ServiceStubTests {
    let client = KitchenServiceClient(transport: InMemoryTransport(services: [EchoKitchen()]))

    @Test("unary")
    func unary() async throws {
        let sink = try await client.getSink(Empty())
        #expect(sink.fString == "for in-memory-test-client")
        #expect(sink.labels == ["method": "GetSink"])
        #expect(try await client.describe(Empty(), options: CallOptions(traceID: "t")).middle?.deep?.leaf == "described")
    }

    @Test("server streaming")
    func serverStreaming() async throws {
        var received: [Int32] = []
        for try await sink in try await client.watchSinks(Empty()) { received.append(sink.fInt32) }
        #expect(received == [0, 1, 2])
    }

    @Test("client streaming")
    func clientStreaming() async throws {
        let call = try await client.upload()
        for value: Int32 in [1, 2, 3] { try await call.send(KitchenSink(fInt32: value)) }
        _ = try await call.finish()

        let failing = try await client.upload()
        try await failing.send(KitchenSink(fInt32: 1))
        await #expect(throws: RPCError(.invalidArgument, "expected a total of 6, got 1")) {
            _ = try await failing.finish()
        }
    }

    @Test("bidirectional streaming")
    func bidiStreaming() async throws {
        let call = try await client.chat()
        try await call.send(Outer(middles: [Outer.Middle()]))
        try await call.send(Outer(middles: [Outer.Middle(), Outer.Middle()]))
        try await call.closeSend()
        var leaves: [String] = []
        for try await reply in call.responses { leaves.append(reply.deepByName["echo"]?.leaf ?? "?") }
        #expect(leaves == ["1", "2"])
    }

    @Test("descriptors: names, kinds, stable ids and the idempotency rule")
    func descriptors() {
        let all = KitchenServiceDescriptors.all
        #expect(all.map(\.method) == ["GetSink", "WatchSinks", "Upload", "Chat", "CheckpointSink", "Describe"])
        #expect(all.map(\.kind) == [.unary, .serverStreaming, .clientStreaming, .bidiStreaming, .unary, .unary])
        #expect(all.map(\.isIdempotent) == [true, true, false, false, false, true])
        for descriptor in all {
            #expect(descriptor.service == "kitchen.v1.KitchenService")
            #expect(descriptor.id == MethodDescriptor.stableID(fullName: "/kitchen.v1.KitchenService/\(descriptor.method)"))
        }
        #expect(Set(all.map(\.id)).count == all.count)
    }

    @Test("a malformed request is INVALID_ARGUMENT before the handler runs")
    func malformedRequest() async throws {
        let methods = EchoKitchen().serverMethods
        let getSink = try #require(methods.first { $0.descriptor == KitchenServiceDescriptors.getSink })
        guard case .unary(let handler) = getSink.handler else {
            Issue.record("GetSink is not unary")
            return
        }
        let context = ServerContext(method: getSink.descriptor, peer: PeerIdentity(name: "test"))
        do {
            _ = try await handler([0x0A, 0x05, 0x01], context)
            Issue.record("a truncated request was accepted")
        } catch let error as RPCError {
            #expect(error.code == .invalidArgument)
            #expect(error.message.contains("kitchen.v1.Empty"))
        }
    }

    @Test("a malformed response is INTERNAL on the client")
    func malformedResponse() async throws {
        struct BrokenServer: ClientTransport {
            func unary(_ method: MethodDescriptor, request: [UInt8], options: CallOptions) async throws -> [UInt8] {
                [0x0A, 0x02, 0xC3, 0x28]  // field 1 (f_double would be fixed64): wrong wire type
            }
            func openStream(_ method: MethodDescriptor, options: CallOptions) async throws -> any RawClientStream {
                throw RPCError(.unimplemented, "no streams")
            }
        }
        let broken = KitchenServiceClient(transport: BrokenServer())
        do {
            _ = try await broken.getSink(Empty())
            Issue.record("a malformed response was accepted")
        } catch let error as RPCError {
            #expect(error.code == .internal)
            #expect(error.message.contains("kitchen.v1.KitchenSink"))
        }
    }
}
