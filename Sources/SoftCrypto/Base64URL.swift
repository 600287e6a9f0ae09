// base64url without padding (RFC 4648 §5, as JOSE uses it, RFC 7515 §2). JWK members, JWS
// segments and key ids all use it, and a verifier must accept exactly one spelling of each byte
// string: padding, characters outside the alphabet, a length of 4k+1, and non-zero unused
// trailing bits are all rejected, so no two strings decode to the same bytes.

/// Strict, unpadded base64url.
public enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// 255 marks a byte outside the alphabet.
    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 255, count: 256)
        for (index, char) in alphabet.enumerated() { table[Int(char)] = UInt8(index) }
        return table
    }()

    /// Encodes bytes as unpadded base64url text.
    public static func encode(_ bytes: [UInt8]) -> String {
        String(decoding: encodeToBytes(bytes), as: UTF8.self)
    }

    /// Encodes bytes as unpadded base64url ASCII bytes (for assembling JWS without String churn).
    public static func encodeToBytes(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        alphabet.withUnsafeBufferPointer { a in
            bytes.withUnsafeBufferPointer { input in
                var index = 0
                let count = input.count
                while count - index >= 3 {
                    let chunk = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
                    out.append(a[Int(chunk >> 18)])
                    out.append(a[Int((chunk >> 12) & 63)])
                    out.append(a[Int((chunk >> 6) & 63)])
                    out.append(a[Int(chunk & 63)])
                    index += 3
                }
                switch count - index {
                case 1:
                    let chunk = UInt32(input[index]) << 16
                    out.append(a[Int(chunk >> 18)])
                    out.append(a[Int((chunk >> 12) & 63)])
                case 2:
                    let chunk = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8
                    out.append(a[Int(chunk >> 18)])
                    out.append(a[Int((chunk >> 12) & 63)])
                    out.append(a[Int((chunk >> 6) & 63)])
                default:
                    break
                }
            }
        }
        return out
    }

    /// Decodes unpadded base64url text.
    ///
    /// - Throws: ``CryptoError/Code/invalidEncoding`` for padding, a character outside
    ///   `A–Z a–z 0–9 - _`, a length of the form 4k+1, or non-zero unused bits in the last character.
    public static func decode(_ text: String) throws(CryptoError) -> [UInt8] {
        var text = text
        return try text.withUTF8 { decoding(UnsafeRawBufferPointer($0)) }.get()
    }

    /// Decodes unpadded base64url ASCII bytes; same rules as the `String` variant.
    public static func decode(_ bytes: [UInt8]) throws(CryptoError) -> [UInt8] {
        try bytes.withUnsafeBytes { decoding($0) }.get()
    }

    /// Decodes unpadded base64url from raw memory; same rules as the `String` variant.
    public static func decode(_ input: UnsafeRawBufferPointer) throws(CryptoError) -> [UInt8] {
        try decoding(input).get()
    }

    private static func decoding(_ input: UnsafeRawBufferPointer) -> Result<[UInt8], CryptoError> {
        let count = input.count
        guard count % 4 != 1 else {
            return .failure(CryptoError(.invalidEncoding, "base64url length \(count) is impossible (4k+1)"))
        }
        var out = [UInt8]()
        out.reserveCapacity(count * 3 / 4)
        var failure: CryptoError? = nil
        decodeTable.withUnsafeBufferPointer { table in
            func value(_ position: Int) -> UInt32? {
                let decoded = table[Int(input[position])]
                if decoded == 255 {
                    let char = input[position]
                    let shown = char == UInt8(ascii: "=") ? "padding '='" :
                        (char >= 0x21 && char < 0x7F ? "'\(Character(Unicode.Scalar(char)))'" : "byte 0x\(String(char, radix: 16))")
                    failure = CryptoError(.invalidEncoding, "\(shown) at offset \(position) is not base64url")
                    return nil
                }
                return UInt32(decoded)
            }
            var index = 0
            while count - index >= 4 {
                guard let a = value(index), let b = value(index + 1), let c = value(index + 2),
                      let d = value(index + 3) else { return }
                let chunk = a << 18 | b << 12 | c << 6 | d
                out.append(UInt8(chunk >> 16))
                out.append(UInt8((chunk >> 8) & 0xFF))
                out.append(UInt8(chunk & 0xFF))
                index += 4
            }
            switch count - index {
            case 2:
                guard let a = value(index), let b = value(index + 1) else { return }
                guard b & 0x0F == 0 else {
                    failure = CryptoError(.invalidEncoding, "non-zero trailing bits in the last base64url character")
                    return
                }
                out.append(UInt8((a << 2 | b >> 4) & 0xFF))
            case 3:
                guard let a = value(index), let b = value(index + 1), let c = value(index + 2) else { return }
                guard c & 0x03 == 0 else {
                    failure = CryptoError(.invalidEncoding, "non-zero trailing bits in the last base64url character")
                    return
                }
                let chunk = a << 12 | b << 6 | c
                out.append(UInt8(chunk >> 10))
                out.append(UInt8((chunk >> 2) & 0xFF))
            default:
                break
            }
        }
        if let failure { return .failure(failure) }
        return .success(out)
    }
}
