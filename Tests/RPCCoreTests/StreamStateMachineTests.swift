// Stream life-cycle rules, tested as values: cardinality of unary calls, half-close, END and
// cancellation, plus the connection's stream-id bookkeeping.

import Testing
@testable import RPCCore

@Suite struct StreamStateMachineTests {
    @Test func serverUnaryAcceptsOneRequestThenHalfClose() throws {
        var stream = StreamStateMachine(role: .server, kind: .unary, streamID: 1)
        #expect(try stream.receiveMessage(endStream: true) == .deliverAndFinishInbound)
        try stream.sendMessage()
        #expect(throws: WireProtocolError.self) { try stream.sendMessage() }
        try stream.sendEnd()
        #expect(stream.isClosed)
        #expect(throws: WireProtocolError.self) { try stream.sendEnd() }
    }

    @Test func serverUnaryRefusesSecondRequestAndEmptyHalfClose() throws {
        var twice = StreamStateMachine(role: .server, kind: .unary, streamID: 1)
        #expect(try twice.receiveMessage(endStream: false) == .deliver)
        #expect(throws: WireProtocolError.self) { try twice.receiveMessage(endStream: false) }
        var empty = StreamStateMachine(role: .server, kind: .serverStreaming, streamID: 3)
        #expect(throws: WireProtocolError.self) { try empty.receiveHalfClose() }
    }

    @Test func bidiStreamsFlowBothWaysUntilEnd() throws {
        var server = StreamStateMachine(role: .server, kind: .bidiStreaming, streamID: 5)
        var client = StreamStateMachine(role: .client, kind: .bidiStreaming, streamID: 5)
        for _ in 0..<10 {
            try client.sendMessage()
            _ = try server.receiveMessage(endStream: false)
            try server.sendMessage()
            _ = try client.receiveMessage(endStream: false)
        }
        try client.sendHalfClose()
        try server.receiveHalfClose()
        #expect(throws: WireProtocolError.self) { try client.sendMessage() }
        #expect(throws: WireProtocolError.self) { try server.receiveMessage(endStream: false) }
        try server.sendEnd()
        try client.receiveEnd(code: .ok)
        #expect(server.isClosed && client.isClosed)
    }

    @Test func clientRejectsOkWithoutUnaryResponse() {
        var client = StreamStateMachine(role: .client, kind: .unary, streamID: 1)
        #expect(throws: WireProtocolError.self) { try client.receiveEnd(code: .ok) }
        var failed = StreamStateMachine(role: .client, kind: .unary, streamID: 3)
        #expect(throws: Never.self) { try failed.receiveEnd(code: .notFound) }
    }

    @Test func rolesAreEnforced() {
        var client = StreamStateMachine(role: .client, kind: .unary, streamID: 1)
        #expect(throws: WireProtocolError.self) { try client.sendEnd() }
        #expect(throws: WireProtocolError.self) { try client.receiveHalfClose() }
        var server = StreamStateMachine(role: .server, kind: .unary, streamID: 1)
        #expect(throws: WireProtocolError.self) { try server.sendHalfClose() }
        #expect(throws: WireProtocolError.self) { try server.receiveEnd(code: .ok) }
    }

    @Test func cancelClosesBothDirections() {
        var stream = StreamStateMachine(role: .server, kind: .bidiStreaming, streamID: 9)
        stream.cancel()
        #expect(stream.isClosed)
        #expect(throws: WireProtocolError.self) { try stream.sendMessage() }
    }

    @Test func trackerEnforcesOrderingLimitsAndDrain() throws {
        var tracker = StreamIDTracker(maxConcurrentStreams: 2)
        #expect(throws: WireProtocolError.self) { try tracker.open(0, activeCount: 0) }
        #expect(try tracker.open(1, activeCount: 0) == .accept)
        #expect(throws: WireProtocolError.self) { try tracker.open(1, activeCount: 1) }
        #expect(try tracker.open(3, activeCount: 1) == .accept)
        guard case .refuse(let error) = try tracker.open(5, activeCount: 2) else {
            Issue.record("third stream must be refused")
            return
        }
        #expect(error.code == .resourceExhausted)
        #expect(tracker.lookup(3, isActive: true) == .active)
        #expect(tracker.lookup(3, isActive: false) == .closed)
        #expect(tracker.lookup(7, isActive: false) == .neverOpened)
        #expect(tracker.beginDrain() == 5)
        guard case .refuse(let drained) = try tracker.open(7, activeCount: 0) else {
            Issue.record("streams after GOAWAY must be refused")
            return
        }
        #expect(drained.code == .unavailable)
    }
}
