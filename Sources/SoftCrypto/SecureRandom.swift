// Random bytes for nonces, salts, key ids and test keys, from OpenSSL's CSPRNG (seeded from the
// OS). One place to call so nobody reaches for SystemRandomNumberGenerator for key material.

import COpenSSL

/// Cryptographically secure random bytes.
public enum SecureRandom {
    /// `count` random bytes.
    ///
    /// - Throws: ``CryptoError/Code/internalError`` if the CSPRNG fails (it should not).
    public static func bytes(_ count: Int) throws(CryptoError) -> [UInt8] {
        guard count >= 0, count <= Int(Int32.max) else {
            throw CryptoError(.invalidArgument, "random byte count \(count) out of range")
        }
        var out = [UInt8](repeating: 0, count: count)
        guard count == 0 || out.withUnsafeMutableBufferPointer({ RAND_bytes($0.baseAddress, Int32(count)) }) == 1 else {
            throw .fromOpenSSL(.internalError, "RAND_bytes failed")
        }
        return out
    }
}
