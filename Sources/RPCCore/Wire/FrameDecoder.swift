// Turns bytes into frames without owning a buffer: the caller passes whatever it has and learns
// either "a frame, and how many bytes it used" or "need more bytes". Stateless between calls, so
// drip-fed input and one big buffer decode identically. The length prefix is checked against the
// limit as soon as the header is complete, before a single payload byte is allocated.

/// The outcome of one decoding step.
public enum FrameDecodeResult: Hashable, Sendable {
    /// A complete frame, which used `consumed` bytes from the front of the input.
    case frame(Frame, consumed: Int)
    /// The input holds no complete frame; at least `minimum` bytes in total are needed.
    case needMoreBytes(minimum: Int)
}

/// Decodes the fixed-header framing of docs/PROTOCOL.md §2.
public struct FrameDecoder: Sendable {
    /// Frames whose payload length exceeds this are refused with ``WireProtocolError/Code/frameTooLarge``.
    public var maxPayloadSize: Int

    public init(maxPayloadSize: Int = Frame.defaultMaxPayloadSize) {
        self.maxPayloadSize = maxPayloadSize
    }

    /// The frame header at the front of `bytes`, validated, or `nil` when fewer than 12 bytes exist.
    /// - Throws: ``WireProtocolError`` for a wrong version, a non-zero reserved byte or an oversized length.
    public func peekHeader(_ bytes: UnsafeRawBufferPointer)
        throws(WireProtocolError) -> (type: FrameType, flags: FrameFlags, streamID: UInt32, length: Int)?
    {
        guard bytes.count >= Frame.headerSize else { return nil }
        let version = bytes[0]
        guard version == Frame.protocolVersion else {
            throw WireProtocolError(.unsupportedVersion, "frame version \(version), expected \(Frame.protocolVersion)")
        }
        guard bytes[3] == 0 else {
            throw WireProtocolError(.malformedPayload, "reserved header byte is \(bytes[3]), must be 0")
        }
        let streamID = Self.readUInt32(bytes, at: 4)
        let length = Self.readUInt32(bytes, at: 8)
        guard UInt64(length) <= UInt64(maxPayloadSize) else {
            throw WireProtocolError(.frameTooLarge,
                                    "frame length \(length) exceeds the limit of \(maxPayloadSize) bytes",
                                    streamID: streamID)
        }
        return (FrameType(rawValue: bytes[1]), FrameFlags(rawValue: bytes[2]), streamID, Int(length))
    }

    /// Decodes the first frame in `bytes`.
    /// - Throws: ``WireProtocolError`` when the header is invalid; the connection must then close.
    public func decode(_ bytes: UnsafeRawBufferPointer) throws(WireProtocolError) -> FrameDecodeResult {
        guard let header = try peekHeader(bytes) else {
            return .needMoreBytes(minimum: Frame.headerSize)
        }
        let total = Frame.headerSize + header.length
        guard bytes.count >= total else { return .needMoreBytes(minimum: total) }
        let payload = header.length == 0
            ? [] : [UInt8](UnsafeRawBufferPointer(rebasing: bytes[Frame.headerSize..<total]))
        let frame = Frame(type: header.type, flags: header.flags, streamID: header.streamID, payload: payload)
        return .frame(frame, consumed: total)
    }

    /// Decodes the first frame in an array (convenience for tests and tools).
    public func decode(_ bytes: [UInt8]) throws(WireProtocolError) -> FrameDecodeResult {
        let result: Result<FrameDecodeResult, WireProtocolError> = bytes.withUnsafeBytes { raw in
            do throws(WireProtocolError) { return .success(try decode(raw)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    @inline(__always)
    static func readUInt32(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16
            | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }
}
