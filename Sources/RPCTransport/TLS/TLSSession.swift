// One TLS connection over two memory BIOs: ciphertext in from wherever (a socket, a test), plaintext
// out, and the reverse. No file descriptor is involved, so the handshake, the verification rules and
// the record layer are tested without sockets, and the socket layer only moves opaque bytes.
// SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER plus full (non-partial) writes into an unbounded memory BIO
// mean SSL_write never asks to be retried with the same buffer; partial socket writes happen on
// the ciphertext side, which the connection keeps in a stable buffer with an offset.

import COpenSSL
import CShims
import RPCCore

/// A TLS session driven by memory buffers. Not thread-safe: one owner (a connection) at a time.
final class TLSSession {
    /// Result of reading plaintext.
    enum ReadResult: Equatable {
        /// This many plaintext bytes were written into the buffer.
        case bytes(Int)
        /// No more plaintext until more ciphertext arrives.
        case wantRead
        /// The peer sent close_notify.
        case closed
    }

    let context: TLSContext
    private let ssl: OpaquePointer
    private let inbound: OpaquePointer
    private let outbound: OpaquePointer
    private(set) var isHandshakeComplete = false

    /// - Parameter serverName: For clients, the name the server's certificate must carry (DNS name
    ///   or IPv4 literal); also sent as SNI when it is a name.
    init(context: TLSContext, serverName: String? = nil) throws(TransportError) {
        guard let ssl = SSL_new(context.pointer) else { throw OpenSSLErrors.error(.tlsSetup, "SSL_new failed") }
        guard let inbound = BIO_new(BIO_s_mem()), let outbound = BIO_new(BIO_s_mem()) else {
            SSL_free(ssl)
            throw OpenSSLErrors.error(.tlsSetup, "BIO_new failed")
        }
        cshim_bio_mem_set_retry_on_empty(inbound)
        cshim_bio_mem_set_retry_on_empty(outbound)
        SSL_set_bio(ssl, inbound, outbound)  // the SSL now owns both BIOs
        self.ssl = ssl
        self.inbound = inbound
        self.outbound = outbound
        self.context = context
        switch context.role {
        case .server:
            SSL_set_accept_state(ssl)
        case .client:
            SSL_set_connect_state(ssl)
            if let serverName { try expectServerName(serverName) }
        }
    }

    deinit { SSL_free(ssl) }

    private func expectServerName(_ name: String) throws(TransportError) {
        if Self.isIPv4Literal(name) {
            guard X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name) == 1 else {
                throw OpenSSLErrors.error(.tlsSetup, "cannot expect server address \(name)")
            }
        } else {
            guard SSL_set1_host(ssl, name) == 1, cshim_ssl_set_sni(ssl, name) == 1 else {
                throw OpenSSLErrors.error(.tlsSetup, "cannot expect server name \(name)")
            }
        }
    }

    static func isIPv4Literal(_ name: String) -> Bool {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
    }

    /// Hands received ciphertext to OpenSSL.
    func feedCiphertext(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        _ = BIO_write(inbound, base, Int32(bytes.count))
    }

    /// Ciphertext waiting to be sent.
    var pendingCiphertextCount: Int { Int(BIO_ctrl_pending(outbound)) }

    /// Moves all pending ciphertext to the end of `buffer`.
    func drainCiphertext(into buffer: inout [UInt8]) {
        let pending = pendingCiphertextCount
        guard pending > 0 else { return }
        let outbound = self.outbound
        let chunk = [UInt8](unsafeUninitializedCapacity: pending) { storage, count in
            count = max(0, Int(BIO_read(outbound, storage.baseAddress, Int32(pending))))
        }
        if buffer.isEmpty { buffer = chunk } else { buffer.append(contentsOf: chunk) }
    }

    /// Advances the handshake with the ciphertext fed so far.
    /// - Returns: `true` once the handshake is complete.
    /// - Throws: ``TransportError`` (HANDSHAKE) with OpenSSL's reason, e.g. a certificate verify failure.
    func advanceHandshake() throws(TransportError) -> Bool {
        if isHandshakeComplete { return true }
        let result = SSL_do_handshake(ssl)
        if result == 1 {
            isHandshakeComplete = true
            return true
        }
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            return false
        default:
            let verify = SSL_get_verify_result(ssl)
            let detail = verify == X509_V_OK ? "" : " (\(String(cString: X509_verify_cert_error_string(Int(verify)))))"
            throw OpenSSLErrors.error(.handshake, "TLS handshake failed\(detail)")
        }
    }

    /// Decrypts available plaintext into `buffer`.
    /// - Throws: ``TransportError`` (CLOSED) on a fatal alert or protocol error.
    func readPlaintext(into buffer: UnsafeMutableRawBufferPointer) throws(TransportError) -> ReadResult {
        var read = 0
        if SSL_read_ex(ssl, buffer.baseAddress, buffer.count, &read) == 1 { return .bytes(read) }
        switch SSL_get_error(ssl, 0) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE: return .wantRead
        case SSL_ERROR_ZERO_RETURN: return .closed
        default: throw OpenSSLErrors.error(.closed, "TLS read failed")
        }
    }

    /// Encrypts all of `bytes` (the memory BIO never refuses, so this is never partial).
    func writePlaintext(_ bytes: UnsafeRawBufferPointer) throws(TransportError) {
        guard !bytes.isEmpty else { return }
        var written = 0
        guard SSL_write_ex(ssl, bytes.baseAddress, bytes.count, &written) == 1, written == bytes.count else {
            throw OpenSSLErrors.error(.closed, "TLS write failed")
        }
    }

    /// Queues close_notify.
    func close() { _ = SSL_shutdown(ssl) }

    /// The negotiated ALPN protocol.
    var negotiatedProtocol: String? {
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &data, &length)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    /// The negotiated protocol version, e.g. `TLSv1.3`.
    var protocolVersion: String { String(cString: SSL_get_version(ssl)) }

    /// The peer's certificate, if it sent one.
    var peerCertificate: X509Certificate? {
        SSL_get1_peer_certificate(ssl).map { X509Certificate(owning: $0) }
    }

    /// Checks, after the handshake, that the peer presented a certificate that verified and that
    /// our ALPN id was negotiated; returns the peer's identity.
    /// - Throws: ``TransportError`` (PEER_VERIFICATION) otherwise.
    func verifiedPeer() throws(TransportError) -> PeerIdentity {
        guard let certificate = peerCertificate else {
            throw TransportError(.peerVerification, "peer presented no certificate")
        }
        let verify = SSL_get_verify_result(ssl)
        guard verify == X509_V_OK else {
            throw TransportError(.peerVerification, "peer certificate did not verify",
                                 cause: String(cString: X509_verify_cert_error_string(Int(verify))))
        }
        guard negotiatedProtocol == Frame.alpnProtocol else {
            throw TransportError(.peerVerification, "peer did not negotiate ALPN \(Frame.alpnProtocol)")
        }
        return certificate.peerIdentity
    }
}
