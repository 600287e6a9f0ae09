// Frame types and flags of the PersonaHSM wire protocol (docs/PROTOCOL.md §3). A struct over the
// raw byte rather than an enum: a peer running a newer protocol revision may send types this
// build does not know, and the connection — not the decoder — decides what to do with them.

/// The kind of a frame, one byte on the wire.
public struct FrameType: Hashable, Sendable, CustomStringConvertible {
    /// The wire value.
    public let rawValue: UInt8

    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Opens a stream for one call; payload is a ``CallOpen``.
    public static let callOpen = FrameType(rawValue: 0x01)
    /// One application message (protobuf bytes) on a stream.
    public static let message = FrameType(rawValue: 0x02)
    /// From the server: final status (``CallEnd``). From the client: half-close, empty payload.
    public static let end = FrameType(rawValue: 0x03)
    /// Abandons a stream; payload is one status-code byte (CANCELLED or DEADLINE_EXCEEDED).
    public static let cancel = FrameType(rawValue: 0x04)
    /// Liveness probe with 8 opaque bytes, stream 0.
    public static let ping = FrameType(rawValue: 0x05)
    /// Answer to a ping, echoing its 8 bytes, stream 0.
    public static let pong = FrameType(rawValue: 0x06)
    /// The sender will process no stream above `lastStreamID`; payload is a ``GoAway``.
    public static let goAway = FrameType(rawValue: 0x07)
    /// Connection parameters; payload is a ``ConnectionSettings``.
    public static let settings = FrameType(rawValue: 0x08)

    /// Whether this build knows the type.
    public var isKnown: Bool { rawValue >= 0x01 && rawValue <= 0x08 }

    public var description: String {
        switch rawValue {
        case 0x01: "CALL_OPEN"
        case 0x02: "MESSAGE"
        case 0x03: "END"
        case 0x04: "CANCEL"
        case 0x05: "PING"
        case 0x06: "PONG"
        case 0x07: "GOAWAY"
        case 0x08: "SETTINGS"
        default: "UNKNOWN(0x\(String(rawValue, radix: 16)))"
        }
    }
}

/// Per-frame flag bits.
public struct FrameFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8

    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// On CALL_OPEN or MESSAGE: the sender sends nothing more on this stream (half-close).
    public static let endStream = FrameFlags(rawValue: 0x01)
    /// On SETTINGS: acknowledges the peer's settings; payload empty.
    public static let ack = FrameFlags(rawValue: 0x02)
}
