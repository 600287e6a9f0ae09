// Payload of a SETTINGS frame (docs/PROTOCOL.md §4.5): each side announces its limits once after
// the TLS handshake. Unknown setting ids are skipped so either side can add settings later.

/// Limits one side of a connection announces to the other.
public struct ConnectionSettings: Hashable, Sendable {
    /// Setting identifiers on the wire.
    public enum Identifier: UInt16, Sendable {
        case maxFrameSize = 1
        case maxConcurrentStreams = 2
        case keepaliveIntervalMillis = 3
    }

    /// The largest frame payload the sender accepts.
    public var maxFrameSize: UInt32
    /// How many streams the sender lets its peer have open at once.
    public var maxConcurrentStreams: UInt32
    /// How often the sender pings an idle connection; 0 means never.
    public var keepaliveIntervalMillis: UInt32

    public init(maxFrameSize: UInt32 = UInt32(Frame.defaultMaxPayloadSize), maxConcurrentStreams: UInt32 = 256,
                keepaliveIntervalMillis: UInt32 = 0) {
        self.maxFrameSize = maxFrameSize
        self.maxConcurrentStreams = maxConcurrentStreams
        self.keepaliveIntervalMillis = keepaliveIntervalMillis
    }

    public func encode(into buffer: inout [UInt8]) {
        buffer.appendUInt16(3)
        for (id, value) in [(Identifier.maxFrameSize, maxFrameSize), (.maxConcurrentStreams, maxConcurrentStreams),
                            (.keepaliveIntervalMillis, keepaliveIntervalMillis)] {
            buffer.appendUInt16(id.rawValue)
            buffer.appendUInt32(value)
        }
    }

    /// Decodes settings; absent settings keep their defaults, unknown ids are ignored.
    public init(decoding payload: [UInt8]) throws(WireProtocolError) {
        self.init()
        var reader = WireReader(payload, what: "SETTINGS")
        let count = try reader.readUInt16("count")
        for _ in 0..<count {
            let id = try reader.readUInt16("setting id")
            let value = try reader.readUInt32("setting value")
            switch Identifier(rawValue: id) {
            case .maxFrameSize:
                guard value >= 1024 else {
                    throw WireProtocolError(.malformedPayload, "SETTINGS: max frame size \(value) is below 1024")
                }
                maxFrameSize = value
            case .maxConcurrentStreams: maxConcurrentStreams = value
            case .keepaliveIntervalMillis: keepaliveIntervalMillis = value
            case nil: continue
            }
        }
        try reader.expectEnd()
    }
}
