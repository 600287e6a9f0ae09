// The single Swift owner of an in-memory BIO: PEM reading and writing go through OpenSSL's PEM
// functions, which only speak BIO.

import COpenSSL
import CShims

/// Owns one memory `BIO *` and frees it on deinit.
final class MemoryBIO {
    let pointer: OpaquePointer

    /// An empty, writable memory BIO.
    init() throws(CryptoError) {
        guard let created = BIO_new(BIO_s_mem()) else { throw .fromOpenSSL(.internalError, "BIO_new failed") }
        pointer = created
    }

    /// A read-only BIO over a copy of `bytes`.
    init(reading bytes: [UInt8]) throws(CryptoError) {
        // BIO_new_mem_buf does not copy: write into a fresh memory BIO instead, so its lifetime is
        // independent of any Swift array.
        guard let created = BIO_new(BIO_s_mem()) else { throw .fromOpenSSL(.internalError, "BIO_new failed") }
        pointer = created
        var written = 0
        let ok = bytes.withUnsafeBytes { BIO_write_ex(created, $0.baseAddress, $0.count, &written) }
        guard ok == 1 || bytes.isEmpty else { throw .fromOpenSSL(.internalError, "BIO_write_ex failed") }
    }

    deinit { BIO_free(pointer) }

    /// Everything written so far.
    var contents: [UInt8] {
        var data: UnsafeMutablePointer<CChar>? = nil
        let length = cshim_bio_get_mem_data(pointer, &data)
        guard length > 0, let data else { return [] }
        return data.withMemoryRebound(to: UInt8.self, capacity: Int(length)) {
            Array(UnsafeBufferPointer(start: $0, count: Int(length)))
        }
    }
}
