// Payload of a server's END frame (docs/PROTOCOL.md §4.2): the call's final status, in the same
// compact layout family as CALL_OPEN. Mirrors `persona.hsm.v1.CallStatus` and `ErrorDetails`.

/// The final status of a call.
public struct CallEnd: Hashable, Sendable {
    public var code: StatusCode
    public var message: String
    public var details: ErrorDetails?
    public var trailers: Metadata

    public init(code: StatusCode = .ok, message: String = "", details: ErrorDetails? = nil,
                trailers: Metadata = Metadata()) {
        self.code = code
        self.message = message
        self.details = details
        self.trailers = trailers
    }

    /// The status of a failed call.
    public init(_ error: RPCError) {
        self.init(code: error.code, message: error.message, details: error.details)
    }

    /// `nil` for OK, else the error a client should throw.
    public var error: RPCError? {
        code == .ok ? nil : RPCError(code, message, details: details)
    }

    /// Appends the payload bytes.
    public func encode(into buffer: inout [UInt8]) {
        buffer.append(code.rawValue)
        buffer.appendShortString(message)
        if let details {
            buffer.append(1)
            buffer.appendUInt32(details.retryAfterMillis)
            buffer.appendShortString(details.reason)
            buffer.appendShortString(details.subject)
            let info = details.info.sorted { $0.key < $1.key }.prefix(Int(UInt16.max))
            buffer.appendUInt16(UInt16(info.count))
            for (key, value) in info {
                buffer.appendShortString(key)
                buffer.appendShortString(value)
            }
        } else {
            buffer.append(0)
        }
        trailers.encode(into: &buffer)
    }

    /// Decodes an END payload from a server.
    /// - Throws: ``WireProtocolError`` for an unknown status code or a malformed layout.
    public init(decoding payload: [UInt8]) throws(WireProtocolError) {
        var reader = WireReader(payload, what: "END")
        let raw = try reader.readUInt8("status code")
        guard let code = StatusCode(rawValue: raw) else {
            throw WireProtocolError(.malformedPayload, "END: status code \(raw) is not one of the 17 canonical codes")
        }
        self.code = code
        message = try reader.readShortString("status message")
        switch try reader.readUInt8("details marker") {
        case 0:
            details = nil
        case 1:
            var details = ErrorDetails()
            details.retryAfterMillis = try reader.readUInt32("retry after")
            details.reason = try reader.readShortString("reason")
            details.subject = try reader.readShortString("subject")
            let count = try reader.readUInt16("info count")
            for _ in 0..<count {
                let key = try reader.readShortString("info key")
                details.info[key] = try reader.readShortString("info value")
            }
            self.details = details
        case let other:
            throw WireProtocolError(.malformedPayload, "END: details marker \(other) is not 0 or 1")
        }
        trailers = try Metadata(decoding: &reader)
        try reader.expectEnd()
    }
}
