// One decoded frame and the constants of the fixed 12-byte frame header (docs/PROTOCOL.md §2).

/// A frame as it travels on the wire: header fields plus the payload bytes.
public struct Frame: Hashable, Sendable, CustomStringConvertible {
    /// Protocol version carried in every header; a different value is refused.
    public static let protocolVersion: UInt8 = 1
    /// Size of the fixed header: version, type, flags, reserved, stream id (4), length (4).
    public static let headerSize = 12
    /// Largest payload a peer may send unless SETTINGS says otherwise (1 MiB + room for envelope).
    public static let defaultMaxPayloadSize = 4 * 1024 * 1024 + 1024
    /// The protocol name negotiated with TLS ALPN.
    public static let alpnProtocol = "personahsm/1"

    public var type: FrameType
    public var flags: FrameFlags
    /// 0 for connection-level frames (PING, PONG, GOAWAY, SETTINGS), else the call's stream.
    public var streamID: UInt32
    public var payload: [UInt8]

    public init(type: FrameType, flags: FrameFlags = [], streamID: UInt32, payload: [UInt8] = []) {
        self.type = type
        self.flags = flags
        self.streamID = streamID
        self.payload = payload
    }

    public var description: String {
        "\(type)(stream \(streamID), flags 0x\(String(flags.rawValue, radix: 16)), \(payload.count) bytes)"
    }
}
