// The contract between generated message types and the transport: bytes in, bytes out.

/// A message that converts to and from protobuf wire bytes.
public protocol WireMessage: Sendable, Equatable {
    /// Decodes wire bytes.
    /// - Throws: ``MessageDecodingError`` when the bytes are not a valid encoding of this message.
    init(serializedBytes: [UInt8]) throws
    /// Encodes to wire bytes.
    func serializedBytes() -> [UInt8]
}

/// Malformed message bytes; maps to INVALID_ARGUMENT.
public struct MessageDecodingError: Error, Hashable, Sendable, CustomStringConvertible, RPCStatusConvertible {
    /// The message type that failed to decode.
    public let messageName: String
    public let reason: String

    public init(messageName: String, reason: String) {
        self.messageName = messageName
        self.reason = reason
    }

    public var description: String { "cannot decode \(messageName): \(reason)" }
    public var rpcError: RPCError { RPCError(.invalidArgument, description) }
}
