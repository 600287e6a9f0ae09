// What generated client stubs need from a transport. The TLS channel (RPCTransport) implements
// it; tests can implement it in memory. Everything is raw bytes here: typing happens in the
// generated stubs and the typed call wrappers below.

/// A transport that carries calls to a server.
public protocol ClientTransport: Sendable {
    /// Sends one request and awaits one response.
    /// - Throws: ``RPCError`` with the server's or the transport's status.
    func unary(_ method: MethodDescriptor, request: [UInt8], options: CallOptions) async throws -> [UInt8]

    /// Opens a stream for a streaming method (server-, client- or bidi-streaming).
    func openStream(_ method: MethodDescriptor, options: CallOptions) async throws -> any RawClientStream
}

/// One open streaming call, as bytes.
public protocol RawClientStream: Sendable {
    /// Sends a request message; waits when the transport applies back-pressure.
    func send(_ message: [UInt8]) async throws
    /// Half-closes: no more requests will be sent.
    func closeSend() async throws
    /// Response messages; finishes normally on OK, or throws the ``RPCError`` of the final status.
    var responses: AsyncThrowingStream<[UInt8], any Error> { get }
    /// Cancels the call; the server stops its work.
    func cancel()
}

/// Typed view of a streaming call, used by generated stubs for client- and bidi-streaming methods.
public struct StreamingCall<Request: WireMessage, Response: WireMessage>: Sendable {
    public let raw: any RawClientStream

    public init(raw: any RawClientStream) { self.raw = raw }

    public func send(_ request: Request) async throws { try await raw.send(request.serializedBytes()) }
    public func closeSend() async throws { try await raw.closeSend() }
    public func cancel() { raw.cancel() }

    /// Responses, decoded; a decoding failure ends the sequence with the decoding error.
    public var responses: AsyncThrowingMapSequence<AsyncThrowingStream<[UInt8], any Error>, Response> {
        raw.responses.map { try Response(serializedBytes: $0) }
    }

    /// For client-streaming methods: half-closes and awaits the single response.
    public func finish() async throws -> Response {
        try await closeSend()
        var result: Response?
        for try await response in responses where result == nil { result = response }
        guard let result else { throw RPCError(.internal, "server closed a client-streaming call without a response") }
        return result
    }
}
