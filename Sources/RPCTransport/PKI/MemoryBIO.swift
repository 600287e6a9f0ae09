// PEM and DER travel between Swift and OpenSSL through memory BIOs. This owner wraps one BIO so
// reading back what OpenSSL wrote (or handing it bytes to parse) is one call with one free.

import COpenSSL

/// Owns one OpenSSL memory BIO.
final class MemoryBIO {
    let pointer: OpaquePointer

    /// An empty BIO for OpenSSL to write into.
    init() throws(TransportError) {
        guard let bio = BIO_new(BIO_s_mem()) else { throw OpenSSLErrors.error(.pki, "BIO_new failed") }
        pointer = bio
    }

    /// A BIO holding a copy of `bytes` for OpenSSL to read.
    convenience init(bytes: [UInt8]) throws(TransportError) {
        try self.init()
        let written = bytes.withUnsafeBytes { BIO_write(pointer, $0.baseAddress, Int32($0.count)) }
        guard written == bytes.count || bytes.isEmpty else {
            throw OpenSSLErrors.error(.pki, "BIO_write failed")
        }
    }

    deinit { BIO_free(pointer) }

    /// Everything written so far.
    func readAll() -> [UInt8] {
        let pending = Int(BIO_ctrl_pending(pointer))
        guard pending > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: pending)
        let read = bytes.withUnsafeMutableBytes { BIO_read(pointer, $0.baseAddress, Int32(pending)) }
        return Array(bytes.prefix(max(0, Int(read))))
    }
}
