// Big-endian integer and length-prefixed field writers for the compact payload layouts
// (docs/PROTOCOL.md §4). Appending to [UInt8] keeps frame encoding allocation-free per field.

extension Array where Element == UInt8 {
    @inlinable
    public mutating func appendUInt16(_ value: UInt16) {
        append(UInt8(truncatingIfNeeded: value >> 8))
        append(UInt8(truncatingIfNeeded: value))
    }

    @inlinable
    public mutating func appendUInt32(_ value: UInt32) {
        append(UInt8(truncatingIfNeeded: value >> 24))
        append(UInt8(truncatingIfNeeded: value >> 16))
        append(UInt8(truncatingIfNeeded: value >> 8))
        append(UInt8(truncatingIfNeeded: value))
    }

    @inlinable
    public mutating func appendUInt64(_ value: UInt64) {
        appendUInt32(UInt32(truncatingIfNeeded: value >> 32))
        appendUInt32(UInt32(truncatingIfNeeded: value))
    }

    /// Appends a UTF-8 string with a 16-bit length, truncated at 65,535 bytes on a character boundary.
    mutating func appendShortString(_ string: String) {
        var utf8 = Array(string.utf8)
        if utf8.count > Int(UInt16.max) {
            var cut = Int(UInt16.max)
            while cut > 0 && (utf8[cut] & 0xC0) == 0x80 { cut -= 1 }
            utf8 = Array(utf8[..<cut])
        }
        appendUInt16(UInt16(utf8.count))
        append(contentsOf: utf8)
    }

    /// Appends bytes with a 32-bit length.
    mutating func appendLongBytes(_ bytes: [UInt8]) {
        appendUInt32(UInt32(bytes.count))
        append(contentsOf: bytes)
    }
}
