// A ClientTransport that calls server methods in the same process, so generated client stubs
// and generated handler protocols can be tested against each other without sockets: requests
// and responses still travel as encoded bytes, exactly as over the real transport.

import RPCCore

/// Dispatches calls to the `serverMethods` of services registered with it.
public struct InMemoryTransport: ClientTransport {
    private let methods: [UInt32: ServerMethod]

    public init(services: [any RegistrableService]) {
        var methods: [UInt32: ServerMethod] = [:]
        for service in services {
            for method in service.serverMethods { methods[method.descriptor.id] = method }
        }
        self.methods = methods
    }

    public func unary(_ method: MethodDescriptor, request: [UInt8], options: CallOptions) async throws -> [UInt8] {
        guard let registered = methods[method.id], case .unary(let handler) = registered.handler else {
            throw RPCError(.unimplemented, "no unary method \(method.fullName)")
        }
        return try await handler(request, Self.context(for: method, options))
    }

    public func openStream(_ method: MethodDescriptor, options: CallOptions) async throws -> any RawClientStream {
        guard let registered = methods[method.id], case .streaming(let handler) = registered.handler else {
            throw RPCError(.unimplemented, "no streaming method \(method.fullName)")
        }
        let requests = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        let responses = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        let context = Self.context(for: method, options)
        let writer = ContinuationWriter(continuation: responses.continuation)
        let task = Task {
            do {
                try await handler(requests.stream, writer, context)
                responses.continuation.finish()
            } catch {
                responses.continuation.finish(throwing: error)
            }
        }
        return InMemoryClientStream(requests: requests.continuation, responses: responses.stream, task: task)
    }

    private static func context(for method: MethodDescriptor, _ options: CallOptions) -> ServerContext {
        ServerContext(method: method, peer: PeerIdentity(name: "in-memory-test-client"), metadata: options.metadata,
                      idempotencyKey: options.idempotencyKey, traceID: options.traceID)
    }
}

/// The client end of one in-memory streaming call.
struct InMemoryClientStream: RawClientStream {
    let requests: AsyncThrowingStream<[UInt8], any Error>.Continuation
    let responses: AsyncThrowingStream<[UInt8], any Error>
    let task: Task<Void, Never>

    func send(_ message: [UInt8]) async throws { requests.yield(message) }
    func closeSend() async throws { requests.finish() }

    func cancel() {
        requests.finish(throwing: RPCError(.cancelled, "call cancelled"))
        task.cancel()
    }
}

/// A response writer that feeds the client's response stream.
struct ContinuationWriter: RawResponseWriter {
    let continuation: AsyncThrowingStream<[UInt8], any Error>.Continuation

    func write(_ message: [UInt8]) async throws { continuation.yield(message) }
}
