// The single Swift owner of an OpenSSL EVP_PKEY. Public and private key types wrap it; nothing
// else frees the pointer. EVP_PKEY is reference counted and safe to use from several threads for
// verify/sign as long as each operation has its own context, so the holder is Sendable.

import COpenSSL

/// Owns one `EVP_PKEY *` and frees it on deinit.
final class EVPKey: @unchecked Sendable {
    let pointer: OpaquePointer

    /// Takes ownership of `pointer` (the caller must not free it).
    init(taking pointer: OpaquePointer) { self.pointer = pointer }

    deinit { EVP_PKEY_free(pointer) }

    /// OpenSSL's base id of the key (`EVP_PKEY_ED25519`, `EVP_PKEY_EC`, `EVP_PKEY_RSA`, ...).
    var baseID: Int32 { EVP_PKEY_get_base_id(pointer) }

    /// Size of the key in bits (256 for P-256, the modulus size for RSA).
    var bits: Int { Int(EVP_PKEY_get_bits(pointer)) }

    /// A UTF-8 string parameter (such as the EC group name), or nil.
    func utf8Parameter(_ name: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 80)
        var length = 0
        guard EVP_PKEY_get_utf8_string_param(pointer, name, &buffer, buffer.count, &length) == 1 else {
            OpenSSLErrorQueue.clear()
            return nil
        }
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// An octet-string parameter (such as the encoded EC point), or nil.
    func octetParameter(_ name: String) -> [UInt8]? {
        var length = 0
        guard EVP_PKEY_get_octet_string_param(pointer, name, nil, 0, &length) == 1 else {
            OpenSSLErrorQueue.clear()
            return nil
        }
        var out = [UInt8](repeating: 0, count: length)
        guard out.withUnsafeMutableBufferPointer({
            EVP_PKEY_get_octet_string_param(pointer, name, $0.baseAddress, length, &length)
        }) == 1 else {
            OpenSSLErrorQueue.clear()
            return nil
        }
        return Array(out[..<length])
    }

    /// A big-number parameter as unsigned big-endian bytes without leading zeros, or nil.
    func bigNumberParameter(_ name: String) -> [UInt8]? {
        var bn: OpaquePointer? = nil
        guard EVP_PKEY_get_bn_param(pointer, name, &bn) == 1, let bn else {
            OpenSSLErrorQueue.clear()
            return nil
        }
        return BigNumber(taking: bn).bytes
    }
}
