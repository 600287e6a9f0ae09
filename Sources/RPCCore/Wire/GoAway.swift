// Payload of a GOAWAY frame (docs/PROTOCOL.md §4.4): tells the peer which streams the sender will
// still finish, so a client knows which calls it may safely retry elsewhere.

/// Announces that the sender is closing the connection.
public struct GoAway: Hashable, Sendable {
    /// The highest stream id the sender has accepted and will finish; higher ones were not processed.
    public var lastStreamID: UInt32
    /// OK for a graceful drain; another code for a protocol error or resource limit.
    public var code: StatusCode
    public var message: String

    public init(lastStreamID: UInt32, code: StatusCode = .ok, message: String = "") {
        self.lastStreamID = lastStreamID
        self.code = code
        self.message = message
    }

    public func encode(into buffer: inout [UInt8]) {
        buffer.appendUInt32(lastStreamID)
        buffer.append(code.rawValue)
        buffer.appendShortString(message)
    }

    public init(decoding payload: [UInt8]) throws(WireProtocolError) {
        var reader = WireReader(payload, what: "GOAWAY")
        lastStreamID = try reader.readUInt32("last stream id")
        let raw = try reader.readUInt8("code")
        guard let code = StatusCode(rawValue: raw) else {
            throw WireProtocolError(.malformedPayload, "GOAWAY: status code \(raw) is not canonical")
        }
        self.code = code
        message = try reader.readShortString("message")
        try reader.expectEnd()
    }
}
