// OpenSSL 3 imports raw key material through OSSL_PARAM arrays built with OSSL_PARAM_BLD. This
// type is the single owner of the builder, the array it produces, and every buffer pushed into
// it: OSSL_PARAM_BLD keeps the NAME and string/octet VALUE pointers without copying them until
// OSSL_PARAM_BLD_to_param (C callers pass literals), so Swift's temporary bridged pointers would
// dangle. Names and values are therefore copied into C memory owned here.

import COpenSSL
#if canImport(Glibc)
import Glibc
#endif

/// Builds and owns an `OSSL_PARAM` array.
final class ParameterSet {
    private let builder: OpaquePointer
    private var numbers: [BigNumber] = []
    private var buffers: [UnsafeMutableRawPointer] = []
    private var built: UnsafeMutablePointer<OSSL_PARAM>?

    init() throws(CryptoError) {
        guard let created = OSSL_PARAM_BLD_new() else {
            throw .fromOpenSSL(.internalError, "OSSL_PARAM_BLD_new failed")
        }
        builder = created
    }

    deinit {
        if let built { OSSL_PARAM_free(built) }
        OSSL_PARAM_BLD_free(builder)
        for buffer in buffers { free(buffer) }
    }

    /// A NUL-terminated C copy of `bytes` that lives as long as this object.
    private func retained(_ bytes: [UInt8]) throws(CryptoError) -> UnsafeMutablePointer<CChar> {
        guard let memory = malloc(bytes.count + 1) else { throw CryptoError(.internalError, "out of memory") }
        buffers.append(memory)
        let chars = memory.bindMemory(to: CChar.self, capacity: bytes.count + 1)
        bytes.withUnsafeBytes { source in
            if let base = source.baseAddress { memcpy(memory, base, source.count) }
        }
        chars[bytes.count] = 0
        return chars
    }

    /// Adds a UTF-8 string parameter (such as `group`).
    func add(_ name: String, utf8 value: String) throws(CryptoError) {
        let key = try retained(Array(name.utf8))
        let text = try retained(Array(value.utf8))
        guard OSSL_PARAM_BLD_push_utf8_string(builder, key, text, 0) == 1 else {
            throw .fromOpenSSL(.internalError, "OSSL_PARAM_BLD_push_utf8_string(\(name)) failed")
        }
    }

    /// Adds an octet-string parameter (such as `pub`).
    func add(_ name: String, octets value: [UInt8]) throws(CryptoError) {
        let key = try retained(Array(name.utf8))
        let bytes = try retained(value)
        guard OSSL_PARAM_BLD_push_octet_string(builder, key, bytes, value.count) == 1 else {
            throw .fromOpenSSL(.internalError, "OSSL_PARAM_BLD_push_octet_string(\(name)) failed")
        }
    }

    /// Adds an unsigned big-number parameter from big-endian bytes (such as `n`, `e`).
    func add(_ name: String, bigEndian value: [UInt8]) throws(CryptoError) {
        let key = try retained(Array(name.utf8))
        let number = try BigNumber(bigEndian: value)
        numbers.append(number)
        guard OSSL_PARAM_BLD_push_BN(builder, key, number.pointer) == 1 else {
            throw .fromOpenSSL(.internalError, "OSSL_PARAM_BLD_push_BN(\(name)) failed")
        }
    }

    /// The finished array; valid while this object lives.
    func parameters() throws(CryptoError) -> UnsafeMutablePointer<OSSL_PARAM> {
        if let built { return built }
        guard let array = OSSL_PARAM_BLD_to_param(builder) else {
            throw .fromOpenSSL(.internalError, "OSSL_PARAM_BLD_to_param failed")
        }
        built = array
        return array
    }
}
