// Writes frames straight into an outbound byte buffer. Connections batch many frames into one
// buffer and hand it to TLS in one write, so encoding appends rather than returning new arrays.

/// Appends encoded frames to a byte buffer.
public enum FrameEncoder {
    /// Appends a frame header announcing `length` payload bytes.
    @inlinable
    public static func appendHeader(type: FrameType, flags: FrameFlags = [], streamID: UInt32, length: Int,
                                    to buffer: inout [UInt8]) {
        precondition(length >= 0 && UInt64(length) <= UInt64(UInt32.max), "frame payload too large")
        buffer.append(Frame.protocolVersion)
        buffer.append(type.rawValue)
        buffer.append(flags.rawValue)
        buffer.append(0)
        buffer.appendUInt32(streamID)
        buffer.appendUInt32(UInt32(length))
    }

    /// Appends a whole frame.
    public static func append(_ frame: Frame, to buffer: inout [UInt8]) {
        append(type: frame.type, flags: frame.flags, streamID: frame.streamID, payload: frame.payload, to: &buffer)
    }

    /// Appends a frame with the given payload.
    public static func append(type: FrameType, flags: FrameFlags = [], streamID: UInt32, payload: [UInt8],
                              to buffer: inout [UInt8]) {
        appendHeader(type: type, flags: flags, streamID: streamID, length: payload.count, to: &buffer)
        buffer.append(contentsOf: payload)
    }

    /// Appends a frame whose payload is written by `body` directly into the buffer (no temporary array).
    public static func append(type: FrameType, flags: FrameFlags = [], streamID: UInt32,
                              to buffer: inout [UInt8], payload body: (inout [UInt8]) -> Void) {
        let headerStart = buffer.count
        appendHeader(type: type, flags: flags, streamID: streamID, length: 0, to: &buffer)
        body(&buffer)
        let length = UInt32(buffer.count - headerStart - Frame.headerSize)
        buffer[headerStart + 8] = UInt8(truncatingIfNeeded: length >> 24)
        buffer[headerStart + 9] = UInt8(truncatingIfNeeded: length >> 16)
        buffer[headerStart + 10] = UInt8(truncatingIfNeeded: length >> 8)
        buffer[headerStart + 11] = UInt8(truncatingIfNeeded: length)
    }

    /// Encodes one frame into a new array.
    public static func encode(_ frame: Frame) -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(Frame.headerSize + frame.payload.count)
        append(frame, to: &buffer)
        return buffer
    }
}
