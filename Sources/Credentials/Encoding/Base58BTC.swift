// base58btc (the Bitcoin alphabet: no 0, O, I, l), which did:key identifiers and Data Integrity
// proofValues use inside multibase. Inputs are short (34-byte keys, 64-byte signatures), so the
// quadratic schoolbook conversion is fine and easy to check.

/// base58 with the Bitcoin alphabet.
public enum Base58BTC {
    static let alphabet = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".utf8)

    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 255, count: 256)
        for (index, char) in alphabet.enumerated() { table[Int(char)] = UInt8(index) }
        return table
    }()

    /// Encodes bytes; each leading zero byte becomes a leading '1'.
    public static func encode(_ bytes: [UInt8]) -> String {
        let zeros = bytes.prefix(while: { $0 == 0 }).count
        // Base-58 digits, least significant first.
        var digits: [UInt8] = []
        digits.reserveCapacity(bytes.count * 138 / 100 + 1)
        for byte in bytes[zeros...] {
            var carry = Int(byte)
            for index in digits.indices {
                carry += Int(digits[index]) << 8
                digits[index] = UInt8(carry % 58)
                carry /= 58
            }
            while carry > 0 {
                digits.append(UInt8(carry % 58))
                carry /= 58
            }
        }
        var out = [UInt8](repeating: alphabet[0], count: zeros)
        out.reserveCapacity(zeros + digits.count)
        for digit in digits.reversed() { out.append(alphabet[Int(digit)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes base58btc text; each leading '1' becomes a zero byte.
    ///
    /// - Throws: ``CredentialError/Code/invalidBase58`` naming the first character outside the
    ///   alphabet and its position.
    public static func decode(_ text: String) throws(CredentialError) -> [UInt8] {
        let chars = Array(text.utf8)
        let ones = chars.prefix(while: { $0 == alphabet[0] }).count
        var bytes: [UInt8] = []  // least significant first
        bytes.reserveCapacity(chars.count * 733 / 1000 + 1)
        for (position, char) in chars.enumerated().dropFirst(ones) {
            let value = decodeTable[Int(char)]
            guard value != 255 else {
                let shown = char >= 0x21 && char < 0x7F ? "'\(Character(Unicode.Scalar(char)))'" : "byte 0x\(String(char, radix: 16))"
                throw CredentialError(.invalidBase58, "\(shown) at position \(position) is not in the base58btc alphabet")
            }
            var carry = Int(value)
            for index in bytes.indices {
                carry += Int(bytes[index]) * 58
                bytes[index] = UInt8(carry & 0xFF)
                carry >>= 8
            }
            while carry > 0 {
                bytes.append(UInt8(carry & 0xFF))
                carry >>= 8
            }
        }
        return [UInt8](repeating: 0, count: ones) + bytes.reversed()
    }
}
