// How generated server protocols register with a server transport: each method becomes a
// descriptor plus a bytes-level handler closure. Interceptors wrap the whole call.

/// Incoming request messages of a streaming call, as bytes.
public typealias RawRequestStream = AsyncThrowingStream<[UInt8], any Error>

/// Sends response messages of a streaming call.
public protocol RawResponseWriter: Sendable {
    /// Queues one response; waits when the connection's buffer is full (slow reader).
    func write(_ message: [UInt8]) async throws
}

/// Typed response writer used by generated handler protocols.
public struct ResponseWriter<Response: WireMessage>: Sendable {
    public let raw: any RawResponseWriter

    public init(raw: any RawResponseWriter) { self.raw = raw }

    public func write(_ response: Response) async throws { try await raw.write(response.serializedBytes()) }
}

/// The bytes-level implementation of one method.
public enum ServerMethodHandler: Sendable {
    /// One request, one response.
    case unary(@Sendable (_ request: [UInt8], _ context: ServerContext) async throws -> [UInt8])
    /// Any streaming shape; the handler returns when it is done writing.
    case streaming(@Sendable (_ requests: RawRequestStream, _ writer: any RawResponseWriter,
                              _ context: ServerContext) async throws -> Void)
}

/// A method a server can dispatch to.
public struct ServerMethod: Sendable {
    public let descriptor: MethodDescriptor
    public let handler: ServerMethodHandler

    public init(descriptor: MethodDescriptor, handler: ServerMethodHandler) {
        self.descriptor = descriptor
        self.handler = handler
    }
}

/// A generated service handler exposes its methods through this.
public protocol RegistrableService: Sendable {
    var serverMethods: [ServerMethod] { get }
}

/// Runs around every call, outermost first: authentication, authorization, audit, metrics.
public protocol ServerInterceptor: Sendable {
    /// Called before the handler. Throw an ``RPCError`` to refuse the call; return a context
    /// (possibly with added attributes) to let it proceed.
    func callStarting(_ context: ServerContext) async throws -> ServerContext
    /// Called once when the call ends with its final status.
    func callEnded(_ context: ServerContext, status: RPCError?, elapsed: Duration)
}

extension ServerInterceptor {
    public func callStarting(_ context: ServerContext) async throws -> ServerContext { context }
    public func callEnded(_ context: ServerContext, status: RPCError?, elapsed: Duration) {}
}

/// Helpers generated code uses to decode typed requests inside streaming handlers.
extension AsyncThrowingStream where Element == [UInt8], Failure == any Error {
    /// The stream decoded as `Message`; malformed bytes end it with INVALID_ARGUMENT.
    public func decoded<Message: WireMessage>(as _: Message.Type)
        -> AsyncThrowingMapSequence<AsyncThrowingStream<[UInt8], any Error>, Message>
    {
        self.map { bytes in
            do { return try Message(serializedBytes: bytes) } catch let error as MessageDecodingError {
                throw error.rpcError
            }
        }
    }
}
