// CRC32C (Castagnoli), the end-to-end integrity checksum on sign requests and responses (as
// Cloud KMS uses it). OpenSSL has no CRC32C, so this is a slicing-by-8 table implementation.

/// CRC-32C (polynomial 0x1EDC6F41, reflected 0x82F63B78).
public enum CRC32C {
    private static let tables: [[UInt32]] = {
        var tables = [[UInt32]](repeating: [UInt32](repeating: 0, count: 256), count: 8)
        for n in 0..<256 {
            var crc = UInt32(n)
            for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
            tables[0][n] = crc
        }
        for n in 0..<256 {
            for k in 1..<8 {
                let previous = tables[k - 1][n]
                tables[k][n] = (previous >> 8) ^ tables[0][Int(previous & 0xFF)]
            }
        }
        return tables
    }()

    /// The checksum of `bytes`.
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }

    /// The checksum of raw memory, optionally continuing from a previous value.
    public static func checksum(_ buffer: UnsafeRawBufferPointer, continuing previous: UInt32 = 0) -> UInt32 {
        var crc = ~previous
        var index = 0
        let count = buffer.count
        tables.withUnsafeBufferPointer { t in
            while count - index >= 8 {
                let low = crc ^ (UInt32(buffer[index]) | UInt32(buffer[index + 1]) << 8
                    | UInt32(buffer[index + 2]) << 16 | UInt32(buffer[index + 3]) << 24)
                crc = t[7][Int(low & 0xFF)] ^ t[6][Int((low >> 8) & 0xFF)]
                    ^ t[5][Int((low >> 16) & 0xFF)] ^ t[4][Int(low >> 24)]
                    ^ t[3][Int(buffer[index + 4])] ^ t[2][Int(buffer[index + 5])]
                    ^ t[1][Int(buffer[index + 6])] ^ t[0][Int(buffer[index + 7])]
                index += 8
            }
            while index < count {
                crc = (crc >> 8) ^ t[0][Int((crc ^ UInt32(buffer[index])) & 0xFF)]
                index += 1
            }
        }
        return ~crc
    }
}
