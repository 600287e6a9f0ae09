// Frame codec tests: the drip-feed property (any split of the input decodes the same), limits
// enforced before allocation, and header validation.

import Testing
@testable import RPCCore

@Suite struct FrameDecoderTests {
    /// A mix of every frame type, empty and non-empty payloads.
    static func sampleFrames() -> [Frame] {
        var open: [UInt8] = []
        var metadata = Metadata()
        metadata.add("x-tenant", "acme")
        metadata.add("trace-bin", bytes: [0, 1, 2, 255])
        CallOpen(methodID: 0xDEAD_BEEF, timeoutMicros: 1_500_000, idempotencyKey: "k-1", traceID: "t",
                 metadata: metadata).encode(into: &open)
        var end: [UInt8] = []
        CallEnd(code: .notFound, message: "no key",
                details: ErrorDetails(retryAfterMillis: 5, reason: "KEY", subject: "name", info: ["a": "b"]))
            .encode(into: &end)
        var goAway: [UInt8] = []
        GoAway(lastStreamID: 7, code: .ok, message: "drain").encode(into: &goAway)
        var settings: [UInt8] = []
        ConnectionSettings(maxFrameSize: 65536, maxConcurrentStreams: 9, keepaliveIntervalMillis: 100)
            .encode(into: &settings)
        return [
            Frame(type: .settings, streamID: 0, payload: settings),
            Frame(type: .callOpen, streamID: 1, payload: open),
            Frame(type: .message, flags: .endStream, streamID: 1, payload: Array(0..<200).map { UInt8($0) }),
            Frame(type: .message, streamID: 3, payload: []),
            Frame(type: .end, streamID: 1, payload: end),
            Frame(type: .cancel, streamID: 3, payload: [StatusCode.cancelled.rawValue]),
            Frame(type: .ping, streamID: 0, payload: [1, 2, 3, 4, 5, 6, 7, 8]),
            Frame(type: .pong, streamID: 0, payload: [1, 2, 3, 4, 5, 6, 7, 8]),
            Frame(type: .goAway, streamID: 0, payload: goAway),
        ]
    }

    static func encodeAll(_ frames: [Frame]) -> [UInt8] {
        var bytes: [UInt8] = []
        for frame in frames { FrameEncoder.append(frame, to: &bytes) }
        return bytes
    }

    static func decodeInPieces(_ bytes: [UInt8], pieces: [Range<Int>]) throws -> [Frame] {
        var accumulator = FrameAccumulator()
        var frames: [Frame] = []
        for piece in pieces {
            accumulator.append(Array(bytes[piece]))
            while let frame = try accumulator.nextFrame() { frames.append(frame) }
        }
        #expect(accumulator.bufferedByteCount == 0)
        return frames
    }

    @Test func oneByteAtATimeMatchesOneBuffer() throws {
        let frames = Self.sampleFrames()
        let bytes = Self.encodeAll(frames)
        let whole = try Self.decodeInPieces(bytes, pieces: [0..<bytes.count])
        let drip = try Self.decodeInPieces(bytes, pieces: (0..<bytes.count).map { $0..<$0 + 1 })
        #expect(whole == frames)
        #expect(drip == frames)
    }

    @Test func everyTwoWaySplitDecodesTheSame() throws {
        let frames = Self.sampleFrames()
        let bytes = Self.encodeAll(frames)
        for split in 0...bytes.count {
            let decoded = try Self.decodeInPieces(bytes, pieces: [0..<split, split..<bytes.count])
            #expect(decoded == frames, "split at \(split)")
        }
    }

    @Test func irregularChunksDecodeTheSame() throws {
        let frames = Self.sampleFrames()
        let bytes = Self.encodeAll(frames)
        for chunk in [2, 3, 5, 7, 11, 12, 13, 64] {
            let pieces = stride(from: 0, to: bytes.count, by: chunk).map { $0..<min($0 + chunk, bytes.count) }
            #expect(try Self.decodeInPieces(bytes, pieces: pieces) == frames, "chunk \(chunk)")
        }
    }

    @Test func needMoreBytesReportsTheMinimum() throws {
        let bytes = FrameEncoder.encode(Frame(type: .message, streamID: 5, payload: [9, 9, 9]))
        #expect(try FrameDecoder().decode(Array(bytes[0..<4])) == .needMoreBytes(minimum: 12))
        #expect(try FrameDecoder().decode(Array(bytes[0..<13])) == .needMoreBytes(minimum: 15))
        guard case .frame(let frame, let consumed) = try FrameDecoder().decode(bytes + [1, 2]) else {
            Issue.record("expected a frame")
            return
        }
        #expect(consumed == 15)
        #expect(frame.payload == [9, 9, 9])
    }

    @Test func maxLengthPrefixIsRefusedFromTheHeaderAlone() {
        // Only the 12 header bytes exist: the refusal cannot depend on the payload being present.
        let header: [UInt8] = [1, 2, 0, 0, 0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF]
        #expect(throws: WireProtocolError.self) { try FrameDecoder().decode(header) }
        do {
            _ = try FrameDecoder(maxPayloadSize: 1024).decode(header)
        } catch {
            #expect(error.code == .frameTooLarge)
            #expect(error.rpcError.code == .resourceExhausted)
            #expect(error.message.contains("4294967295"))
        }
        var accumulator = FrameAccumulator(decoder: FrameDecoder(maxPayloadSize: 1024))
        accumulator.append(header)
        #expect(throws: WireProtocolError.self) { try accumulator.nextFrame() }
    }

    @Test func limitIsInclusive() throws {
        let decoder = FrameDecoder(maxPayloadSize: 16)
        let ok = FrameEncoder.encode(Frame(type: .message, streamID: 1, payload: Array(repeating: 7, count: 16)))
        let tooBig = FrameEncoder.encode(Frame(type: .message, streamID: 1, payload: Array(repeating: 7, count: 17)))
        guard case .frame = try decoder.decode(ok) else {
            Issue.record("16 bytes must decode")
            return
        }
        #expect(throws: WireProtocolError.self) { try decoder.decode(tooBig) }
    }

    @Test func wrongVersionAndReservedByteAreRefused() {
        var bytes = FrameEncoder.encode(Frame(type: .ping, streamID: 0, payload: Array(repeating: 0, count: 8)))
        bytes[0] = 2
        #expect(throws: WireProtocolError.self) { try FrameDecoder().decode(bytes) }
        bytes[0] = 1
        bytes[3] = 1
        #expect(throws: WireProtocolError.self) { try FrameDecoder().decode(bytes) }
    }

    @Test func unknownFrameTypesPassThroughTheDecoder() throws {
        let bytes = FrameEncoder.encode(Frame(type: FrameType(rawValue: 0x42), streamID: 0, payload: [1]))
        guard case .frame(let frame, _) = try FrameDecoder().decode(bytes) else {
            Issue.record("expected a frame")
            return
        }
        #expect(!frame.type.isKnown)
        #expect(frame.type.description == "UNKNOWN(0x42)")
    }

    @Test func inPlacePayloadEncodingPatchesTheLength() throws {
        var buffer: [UInt8] = [0xAA]
        FrameEncoder.append(type: .message, streamID: 3, to: &buffer) { $0.append(contentsOf: [1, 2, 3, 4, 5]) }
        guard case .frame(let frame, let consumed) = try FrameDecoder().decode(Array(buffer.dropFirst())) else {
            Issue.record("expected a frame")
            return
        }
        #expect(consumed == 17)
        #expect(frame.payload == [1, 2, 3, 4, 5])
    }
}
