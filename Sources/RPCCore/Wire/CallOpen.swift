// Payload of a CALL_OPEN frame in our compact binary layout (docs/PROTOCOL.md §4.1). It carries
// the same fields as `persona.hsm.v1.CallHeader` in Protos/rpc.proto, without a protobuf runtime
// on the hot path: fixed-width integers and length-prefixed strings, decoded with bounds checks.

/// Opens a call: which method, how long it may take, and the caller's metadata.
public struct CallOpen: Hashable, Sendable {
    /// The method's stable id (``MethodDescriptor/id``).
    public var methodID: UInt32
    /// Remaining time budget when sent, in microseconds; 0 means no deadline.
    public var timeoutMicros: UInt64
    /// Idempotency key; empty means none.
    public var idempotencyKey: String
    /// Trace id; empty means none.
    public var traceID: String
    public var metadata: Metadata

    public init(methodID: UInt32, timeoutMicros: UInt64 = 0, idempotencyKey: String = "", traceID: String = "",
                metadata: Metadata = Metadata()) {
        self.methodID = methodID
        self.timeoutMicros = timeoutMicros
        self.idempotencyKey = idempotencyKey
        self.traceID = traceID
        self.metadata = metadata
    }

    /// The timeout as a duration, or `nil` when the call has no deadline.
    public var timeout: Duration? {
        timeoutMicros == 0 ? nil : .microseconds(Int64(clamping: timeoutMicros))
    }

    /// Appends the payload bytes.
    public func encode(into buffer: inout [UInt8]) {
        buffer.appendUInt32(methodID)
        buffer.appendUInt64(timeoutMicros)
        buffer.appendShortString(idempotencyKey)
        buffer.appendShortString(traceID)
        metadata.encode(into: &buffer)
    }

    /// Decodes a CALL_OPEN payload.
    /// - Throws: ``WireProtocolError`` (MALFORMED_PAYLOAD) for truncated, oversized or trailing fields.
    public init(decoding payload: [UInt8]) throws(WireProtocolError) {
        var reader = WireReader(payload, what: "CALL_OPEN")
        methodID = try reader.readUInt32("method id")
        timeoutMicros = try reader.readUInt64("timeout")
        idempotencyKey = try reader.readShortString("idempotency key")
        traceID = try reader.readShortString("trace id")
        metadata = try Metadata(decoding: &reader)
        try reader.expectEnd()
    }
}

extension Metadata {
    /// Appends `count u16` then each entry as `key (u16 + ASCII)`, `value (u32 + bytes)`.
    func encode(into buffer: inout [UInt8]) {
        let entries = self.entries
        buffer.appendUInt16(UInt16(clamping: entries.count))
        for entry in entries.prefix(Int(UInt16.max)) {
            buffer.appendShortString(entry.key)
            buffer.appendLongBytes(entry.value)
        }
    }

    /// Reads what ``encode(into:)`` wrote; keys must be non-empty lower-case ASCII tokens.
    init(decoding reader: inout WireReader) throws(WireProtocolError) {
        self.init()
        let count = try reader.readUInt16("metadata count")
        for _ in 0..<count {
            let key = try reader.readShortString("metadata key")
            guard Metadata.isValidKey(key) else {
                throw WireProtocolError(.malformedPayload, "metadata key \"\(key.prefix(64))\" is not a lower-case token")
            }
            add(key, bytes: try reader.readLongBytes("metadata value"))
        }
    }

    /// Keys are 1...255 bytes of `a-z 0-9 - _ .`.
    static func isValidKey(_ key: String) -> Bool {
        let utf8 = key.utf8
        guard !utf8.isEmpty, utf8.count <= 255 else { return false }
        return utf8.allSatisfy { byte in
            (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || byte == 0x2D || byte == 0x5F
                || byte == 0x2E
        }
    }
}
