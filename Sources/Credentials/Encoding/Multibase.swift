// Multibase (a one-character prefix naming the base) restricted to what this service accepts:
// 'z' = base58btc, as did:key identifiers and Data Integrity proofValues require. Any other
// prefix is refused, not guessed.

/// Multibase with the base58btc ('z') prefix only.
public enum Multibase {
    /// `z` + base58btc(bytes).
    public static func encodeBase58BTC(_ bytes: [UInt8]) -> String { "z" + Base58BTC.encode(bytes) }

    /// Decodes a `z`-prefixed base58btc multibase string.
    ///
    /// - Throws: ``CredentialError/Code/wrongMultibasePrefix`` unless the text starts with `z`;
    ///   ``CredentialError/Code/invalidBase58`` for characters outside the alphabet.
    public static func decodeBase58BTC(_ text: String) throws(CredentialError) -> [UInt8] {
        guard let first = text.utf8.first else {
            throw CredentialError(.wrongMultibasePrefix, "empty multibase string")
        }
        guard first == UInt8(ascii: "z") else {
            let prefix = String(decoding: [first], as: UTF8.self)
            throw CredentialError(.wrongMultibasePrefix, "multibase prefix '\(prefix)' is not 'z' (base58btc)")
        }
        return try Base58BTC.decode(String(text.utf8.dropFirst())!)
    }
}

/// Multicodec identifiers as unsigned varints (the multiformats unsigned-varint spec).
public enum Multicodec {
    /// `ed25519-pub`.
    public static let ed25519PublicKey: UInt64 = 0xED
    /// `ed25519-priv` (used by the W3C test key pair's privateKeyMultibase).
    public static let ed25519PrivateKey: UInt64 = 0x1300

    /// The varint encoding of `value` (7 bits per byte, least significant group first).
    public static func encodeVarint(_ value: UInt64) -> [UInt8] {
        var value = value
        var out: [UInt8] = []
        repeat {
            var byte = UInt8(value & 0x7F)
            value >>= 7
            if value != 0 { byte |= 0x80 }
            out.append(byte)
        } while value != 0
        return out
    }

    /// Decodes a varint at the start of `bytes`; returns the value and the bytes it used.
    ///
    /// - Throws: ``CredentialError/Code/invalidVarint`` if truncated, longer than 9 bytes, or not
    ///   minimally encoded (a final 0x00 group after the first byte).
    public static func decodeVarint(_ bytes: [UInt8]) throws(CredentialError) -> (value: UInt64, length: Int) {
        var value: UInt64 = 0
        for index in 0..<min(bytes.count, 9) {
            let byte = bytes[index]
            value |= UInt64(byte & 0x7F) << (7 * UInt64(index))
            if byte & 0x80 == 0 {
                guard index == 0 || byte != 0 else {
                    throw CredentialError(.invalidVarint, "varint is not minimally encoded")
                }
                return (value, index + 1)
            }
        }
        throw CredentialError(.invalidVarint, bytes.count < 9 ? "truncated varint" : "varint longer than 9 bytes")
    }
}
