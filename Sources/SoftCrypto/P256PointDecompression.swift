// The two P-256 public points with a given x coordinate. An HSM that imported a P-256 private key
// without its public point can still tell us x (ECDH with the base point, see PKCS11
// Session+ECPublicPoint); the right y is then chosen by checking a signature under each candidate.

import COpenSSL

/// P-256 point decompression.
public enum P256PointDecompression {
    /// The valid points whose x coordinate is `x` (32 bytes, big-endian), as public keys: two,
    /// or none when x is not on the curve.
    public static func candidates(x: [UInt8]) throws(CryptoError) -> [PublicKey] {
        guard x.count == 32 else { throw CryptoError(.invalidKey, "a P-256 x coordinate is 32 bytes, got \(x.count)") }
        guard let group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1) else {
            throw .fromOpenSSL(.internalError, "EC_GROUP_new_by_curve_name failed")
        }
        defer { EC_GROUP_free(group) }
        guard let point = EC_POINT_new(group) else { throw .fromOpenSSL(.internalError, "EC_POINT_new failed") }
        defer { EC_POINT_free(point) }
        var keys: [PublicKey] = []
        for prefix: UInt8 in [0x02, 0x03] {
            let compressed = [prefix] + x
            let decoded = compressed.withUnsafeBufferPointer { EC_POINT_oct2point(group, point, $0.baseAddress, $0.count, nil) }
            guard decoded == 1 else {
                OpenSSLErrorQueue.clear()
                continue
            }
            var uncompressed = [UInt8](repeating: 0, count: 65)
            let written = uncompressed.withUnsafeMutableBufferPointer {
                EC_POINT_point2oct(group, point, POINT_CONVERSION_UNCOMPRESSED, $0.baseAddress, 65, nil)
            }
            guard written == 65 else { throw .fromOpenSSL(.internalError, "EC_POINT_point2oct failed") }
            keys.append(try PublicKey(p256Point: uncompressed))
        }
        return keys
    }
}
