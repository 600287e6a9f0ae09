// Bounds-checked cursor over a frame payload. Every read checks the remaining length first, so a
// hostile payload yields a MALFORMED_PAYLOAD error and never an out-of-bounds access or a huge
// allocation (lengths are bounded by what is actually present).

/// Reads the compact payload layouts of docs/PROTOCOL.md §4.
public struct WireReader {
    private let bytes: [UInt8]
    private var offset = 0
    private let what: String

    /// - Parameter what: Names the payload in error messages, e.g. `CALL_OPEN`.
    public init(_ bytes: [UInt8], what: String) {
        self.bytes = bytes
        self.what = what
    }

    public var remaining: Int { bytes.count - offset }
    public var isAtEnd: Bool { offset == bytes.count }

    private func need(_ count: Int, _ field: String) throws(WireProtocolError) {
        guard count <= remaining else {
            throw WireProtocolError(.malformedPayload,
                                    "\(what): \(field) needs \(count) bytes, \(remaining) remain")
        }
    }

    public mutating func readUInt8(_ field: String) throws(WireProtocolError) -> UInt8 {
        try need(1, field)
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func readUInt16(_ field: String) throws(WireProtocolError) -> UInt16 {
        try need(2, field)
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    public mutating func readUInt32(_ field: String) throws(WireProtocolError) -> UInt32 {
        try need(4, field)
        defer { offset += 4 }
        return UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16
            | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    public mutating func readUInt64(_ field: String) throws(WireProtocolError) -> UInt64 {
        let high = try readUInt32(field)
        let low = try readUInt32(field)
        return UInt64(high) << 32 | UInt64(low)
    }

    public mutating func readBytes(count: Int, _ field: String) throws(WireProtocolError) -> [UInt8] {
        try need(count, field)
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    /// A UTF-8 string with a 16-bit length; invalid UTF-8 is refused.
    public mutating func readShortString(_ field: String) throws(WireProtocolError) -> String {
        let count = Int(try readUInt16(field))
        try need(count, field)
        defer { offset += count }
        guard let string = String(validating: bytes[offset..<offset + count], as: UTF8.self) else {
            throw WireProtocolError(.malformedPayload, "\(what): \(field) is not valid UTF-8")
        }
        return string
    }

    /// Bytes with a 32-bit length.
    public mutating func readLongBytes(_ field: String) throws(WireProtocolError) -> [UInt8] {
        let count = try readUInt32(field)
        try need(Int(count), field)
        return try readBytes(count: Int(count), field)
    }

    /// Refuses trailing bytes, so every payload has exactly one encoding.
    public func expectEnd() throws(WireProtocolError) {
        guard isAtEnd else {
            throw WireProtocolError(.malformedPayload, "\(what): \(remaining) unexpected trailing bytes")
        }
    }
}
