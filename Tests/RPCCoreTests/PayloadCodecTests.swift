// Round trips and malformed-input refusals for the compact CALL_OPEN, END, GOAWAY and SETTINGS
// payloads.

import Testing
@testable import RPCCore

@Suite struct PayloadCodecTests {
    @Test func callOpenRoundTrips() throws {
        var metadata = Metadata()
        metadata.add("authorization-hint", "x")
        metadata.add("blob-bin", bytes: Array(repeating: 0xFE, count: 300))
        let open = CallOpen(methodID: 42, timeoutMicros: 2_000_000, idempotencyKey: "idem-é", traceID: "trace",
                            metadata: metadata)
        var bytes: [UInt8] = []
        open.encode(into: &bytes)
        let decoded = try CallOpen(decoding: bytes)
        #expect(decoded == open)
        #expect(decoded.timeout == .seconds(2))
        #expect(CallOpen(methodID: 1).timeout == nil)
    }

    @Test func callOpenRefusesTruncationTrailingBytesAndBadKeys() throws {
        var bytes: [UInt8] = []
        CallOpen(methodID: 42, traceID: "abc").encode(into: &bytes)
        for cut in 0..<bytes.count {
            #expect(throws: WireProtocolError.self) { try CallOpen(decoding: Array(bytes[0..<cut])) }
        }
        #expect(throws: WireProtocolError.self) { try CallOpen(decoding: bytes + [0]) }
        var badKey: [UInt8] = []
        badKey.appendUInt32(1)
        badKey.appendUInt64(0)
        badKey.appendUInt16(0)
        badKey.appendUInt16(0)
        badKey.appendUInt16(1)
        badKey.appendShortString("Upper Case")
        badKey.appendLongBytes([])
        #expect(throws: WireProtocolError.self) { try CallOpen(decoding: badKey) }
    }

    @Test func hugeDeclaredLengthsDoNotAllocate() {
        // A metadata value claiming 4 GiB in a 30-byte payload is refused by the bounds check.
        var bytes: [UInt8] = []
        bytes.appendUInt32(1)
        bytes.appendUInt64(0)
        bytes.appendUInt16(0)
        bytes.appendUInt16(0)
        bytes.appendUInt16(1)
        bytes.appendShortString("k")
        bytes.appendUInt32(0xFFFF_FFFF)
        #expect(throws: WireProtocolError.self) { try CallOpen(decoding: bytes) }
    }

    @Test func invalidUTF8IsRefused() {
        var bytes: [UInt8] = []
        bytes.appendUInt32(1)
        bytes.appendUInt64(0)
        bytes.appendUInt16(2)
        bytes.append(contentsOf: [0xC3, 0x28])
        #expect(throws: WireProtocolError.self) { try CallOpen(decoding: bytes) }
    }

    @Test func callEndRoundTripsWithAndWithoutDetails() throws {
        var trailers = Metadata()
        trailers.add("served-by", "node-1")
        for end in [CallEnd(),
                    CallEnd(code: .unavailable, message: "hsm down",
                            details: ErrorDetails(retryAfterMillis: 250, reason: "HSM", subject: "backend",
                                                  info: ["node": "a", "slot": "2"]),
                            trailers: trailers)] {
            var bytes: [UInt8] = []
            end.encode(into: &bytes)
            #expect(try CallEnd(decoding: bytes) == end)
        }
        #expect(CallEnd().error == nil)
        #expect(CallEnd(RPCError(.aborted, "x")).error == RPCError(.aborted, "x"))
    }

    @Test func callEndRefusesUnknownStatusAndBadMarker() {
        var bytes: [UInt8] = []
        CallEnd(code: .ok).encode(into: &bytes)
        bytes[0] = 17
        #expect(throws: WireProtocolError.self) { try CallEnd(decoding: bytes) }
        bytes[0] = 0
        bytes[3] = 2
        #expect(throws: WireProtocolError.self) { try CallEnd(decoding: bytes) }
    }

    @Test func goAwayAndSettingsRoundTrip() throws {
        var bytes: [UInt8] = []
        let goAway = GoAway(lastStreamID: 99, code: .unavailable, message: "bye")
        goAway.encode(into: &bytes)
        #expect(try GoAway(decoding: bytes) == goAway)
        bytes = []
        let settings = ConnectionSettings(maxFrameSize: 70000, maxConcurrentStreams: 3, keepaliveIntervalMillis: 5)
        settings.encode(into: &bytes)
        #expect(try ConnectionSettings(decoding: bytes) == settings)
    }

    @Test func settingsSkipUnknownIdsAndRefuseTinyFrames() throws {
        var bytes: [UInt8] = []
        bytes.appendUInt16(2)
        bytes.appendUInt16(77)
        bytes.appendUInt32(1)
        bytes.appendUInt16(2)
        bytes.appendUInt32(12)
        #expect(try ConnectionSettings(decoding: bytes).maxConcurrentStreams == 12)
        var tiny: [UInt8] = []
        tiny.appendUInt16(1)
        tiny.appendUInt16(1)
        tiny.appendUInt32(10)
        #expect(throws: WireProtocolError.self) { try ConnectionSettings(decoding: tiny) }
    }
}
