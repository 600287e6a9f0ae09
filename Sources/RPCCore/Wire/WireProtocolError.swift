// The one error type of the frame codec and the stream state machines: a growable code, a message
// for logs and for the peer, and the stream concerned. It knows the status a peer should see.

/// A violation of the wire protocol by the peer (or by the local caller of a state machine).
public struct WireProtocolError: Error, Hashable, Sendable, CustomStringConvertible, RPCStatusConvertible {
    /// What went wrong, as a stable identifier.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The length prefix exceeds the negotiated maximum frame size.
        public static let frameTooLarge = Code("FRAME_TOO_LARGE")
        /// The header's version byte is not ``Frame/protocolVersion``.
        public static let unsupportedVersion = Code("UNSUPPORTED_VERSION")
        /// A payload does not match its frame type's layout.
        public static let malformedPayload = Code("MALFORMED_PAYLOAD")
        /// A frame is not allowed in the stream's or connection's current state.
        public static let unexpectedFrame = Code("UNEXPECTED_FRAME")
        /// A frame names a stream that is already closed.
        public static let streamClosed = Code("STREAM_CLOSED")
        /// The peer opened more streams than the connection allows.
        public static let tooManyStreams = Code("TOO_MANY_STREAMS")
    }

    public var code: Code
    public var message: String
    /// The stream concerned; 0 for connection-level problems.
    public var streamID: UInt32

    public init(_ code: Code, _ message: String, streamID: UInt32 = 0) {
        self.code = code
        self.message = message
        self.streamID = streamID
    }

    public var description: String { "\(code): \(message)" }

    public var rpcError: RPCError {
        switch code {
        case .frameTooLarge, .tooManyStreams: RPCError(.resourceExhausted, message)
        case .streamClosed: RPCError(.failedPrecondition, message)
        default: RPCError(.invalidArgument, message)
        }
    }
}
