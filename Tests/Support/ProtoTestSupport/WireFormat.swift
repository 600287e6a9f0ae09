// Just enough of the protobuf wire format to build hostile inputs by hand and to find where the
// top-level fields of a valid encoding end, independently of the code under test.

/// Protobuf wire-format helpers for tests.
public enum WireFormat {
    public static let varint: UInt8 = 0
    public static let fixed64: UInt8 = 1
    public static let lengthDelimited: UInt8 = 2
    public static let fixed32: UInt8 = 5

    /// Base-128 varint encoding of `value`.
    public static func encodeVarint(_ value: UInt64) -> [UInt8] {
        var value = value
        var bytes: [UInt8] = []
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
        return bytes
    }

    /// The key of field `number` with `wireType`.
    public static func key(_ number: Int32, _ wireType: UInt8) -> [UInt8] {
        encodeVarint(UInt64(UInt32(bitPattern: number)) << 3 | UInt64(wireType))
    }

    /// A length-delimited field.
    public static func field(_ number: Int32, bytes payload: [UInt8]) -> [UInt8] {
        key(number, lengthDelimited) + encodeVarint(UInt64(payload.count)) + payload
    }

    /// A varint field.
    public static func field(_ number: Int32, varint value: UInt64) -> [UInt8] {
        key(number, varint) + encodeVarint(value)
    }

    /// One top-level field of an encoding.
    public struct Field: Sendable, Equatable {
        public let number: UInt64
        public let wireType: UInt8
        /// Offset of the field's key.
        public let start: Int
        /// Offset of the length prefix, for length-delimited fields.
        public let lengthOffset: Int?
        /// Offset just past the field.
        public let end: Int
    }

    /// The top-level fields of `bytes`, or nil when `bytes` is not well-formed at the top level.
    public static func topLevelFields(_ bytes: [UInt8]) -> [Field]? {
        var fields: [Field] = []
        var offset = 0
        while offset < bytes.count {
            let start = offset
            guard let key = readVarint(bytes, &offset) else { return nil }
            let wireType = UInt8(key & 7)
            var lengthOffset: Int?
            switch wireType {
            case varint:
                guard readVarint(bytes, &offset) != nil else { return nil }
            case fixed64:
                offset += 8
            case fixed32:
                offset += 4
            case lengthDelimited:
                lengthOffset = offset
                guard let length = readVarint(bytes, &offset), length <= UInt64(bytes.count - offset) else { return nil }
                offset += Int(length)
            default:
                return nil
            }
            guard offset <= bytes.count else { return nil }
            fields.append(Field(number: key >> 3, wireType: wireType, start: start, lengthOffset: lengthOffset,
                                end: offset))
        }
        return fields
    }

    private static func readVarint(_ bytes: [UInt8], _ offset: inout Int) -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while offset < bytes.count, shift < 64 {
            let byte = bytes[offset]
            offset += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        return nil
    }
}
