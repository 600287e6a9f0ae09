// The single Swift owner of an OpenSSL BIGNUM, used to move RSA moduli/exponents and EC
// coordinates between big-endian byte arrays and OpenSSL's parameter API.

import COpenSSL

/// Owns one `BIGNUM *` and frees it on deinit.
final class BigNumber {
    let pointer: OpaquePointer

    /// Takes ownership of `pointer`.
    init(taking pointer: OpaquePointer) { self.pointer = pointer }

    /// A big number from unsigned big-endian bytes.
    init(bigEndian bytes: [UInt8]) throws(CryptoError) {
        let created = bytes.withUnsafeBufferPointer { BN_bin2bn($0.baseAddress, Int32($0.count), nil) }
        guard let created else { throw .fromOpenSSL(.internalError, "BN_bin2bn failed") }
        pointer = created
    }

    deinit { BN_free(pointer) }

    /// Unsigned big-endian bytes, no leading zeros (empty for zero).
    var bytes: [UInt8] {
        let count = Int((BN_num_bits(pointer) + 7) / 8)
        var out = [UInt8](repeating: 0, count: count)
        _ = out.withUnsafeMutableBufferPointer { BN_bn2bin(pointer, $0.baseAddress) }
        return out
    }
}
