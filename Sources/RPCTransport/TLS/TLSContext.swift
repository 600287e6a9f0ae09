// One OpenSSL SSL_CTX built from a TLSConfiguration: protocol versions, our ALPN id, mutual
// authentication and CRL checking. Immutable once built, so every connection thread may create
// sessions from it; a reload builds a new one and swaps it in (ReloadableTLSContext).

import COpenSSL
import CShims
import RPCCore

/// An immutable OpenSSL context for one role.
final class TLSContext: @unchecked Sendable {
    enum Role: Sendable { case server, client }

    let pointer: OpaquePointer
    let role: Role
    /// ALPN protocol list in wire format; the server's selector reads it for the context's life.
    private let alpnWire: UnsafeMutableBufferPointer<UInt8>

    init(role: Role, configuration: TLSConfiguration) throws(TransportError) {
        let credentials = try configuration.credentials.load()
        guard let ctx = SSL_CTX_new(role == .server ? TLS_server_method() : TLS_client_method()) else {
            throw OpenSSLErrors.error(.tlsSetup, "SSL_CTX_new failed")
        }
        let name = Array(Frame.alpnProtocol.utf8)
        alpnWire = .allocate(capacity: name.count + 1)
        alpnWire[0] = UInt8(name.count)
        _ = UnsafeMutableBufferPointer(rebasing: alpnWire[1...]).initialize(from: name)
        self.pointer = ctx
        self.role = role
        try configure(configuration, credentials: credentials)
    }

    deinit {
        SSL_CTX_free(pointer)
        alpnWire.deallocate()
    }

    private func configure(_ configuration: TLSConfiguration, credentials: TLSCredentials) throws(TransportError) {
        let minimum = configuration.allowTLS12 ? TLS1_2_VERSION : TLS1_3_VERSION
        guard cshim_ssl_ctx_set_proto_versions(pointer, minimum, TLS1_3_VERSION) == 1 else {
            throw OpenSSLErrors.error(.tlsSetup, "cannot set TLS protocol versions")
        }
        cshim_ssl_ctx_set_default_modes(pointer)
        if credentials.certificateChainPEM.isEmpty {
            // Only useful to test that servers refuse certificate-less clients.
            guard role == .client else { throw TransportError(.credentials, "a server needs a certificate") }
        } else {
            try useCertificateChain(credentials.certificateChainPEM)
            try usePrivateKey(credentials.privateKeyPEM)
        }
        try trust(credentials.trustRootsPEM, revocationLists: credentials.revocationListsPEM)
        switch role {
        case .server:
            SSL_CTX_set_verify(pointer, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nil)
            let sessionContext = Array("personahsm".utf8)
            _ = SSL_CTX_set_session_id_context(pointer, sessionContext, UInt32(sessionContext.count))
            // Session tickets buy nothing for long-lived connections and cost bytes and memory.
            _ = SSL_CTX_set_num_tickets(pointer, 0)
            cshim_ssl_ctx_require_alpn(pointer, alpnWire.baseAddress)
        case .client:
            SSL_CTX_set_verify(pointer, SSL_VERIFY_PEER, nil)
            guard SSL_CTX_set_alpn_protos(pointer, alpnWire.baseAddress, UInt32(alpnWire.count)) == 0 else {
                throw OpenSSLErrors.error(.tlsSetup, "cannot set ALPN")
            }
        }
    }

    private func useCertificateChain(_ pem: [UInt8]) throws(TransportError) {
        let bio = try MemoryBIO(bytes: pem)
        guard let leaf = PEM_read_bio_X509(bio.pointer, nil, nil, nil) else {
            throw OpenSSLErrors.error(.credentials, "certificate chain PEM holds no certificate")
        }
        defer { X509_free(leaf) }
        guard SSL_CTX_use_certificate(pointer, leaf) == 1 else {
            throw OpenSSLErrors.error(.credentials, "SSL_CTX_use_certificate failed")
        }
        while let intermediate = PEM_read_bio_X509(bio.pointer, nil, nil, nil) {
            // SSL_CTX_add1_chain_cert is a macro over SSL_CTX_ctrl; the context takes its own reference.
            let added = SSL_CTX_ctrl(pointer, SSL_CTRL_CHAIN_CERT, 1, UnsafeMutableRawPointer(intermediate))
            X509_free(intermediate)
            guard added == 1 else { throw OpenSSLErrors.error(.credentials, "cannot add chain certificate") }
        }
        _ = OpenSSLErrors.drain()  // the loop ends on a "no start line" entry
    }

    private func usePrivateKey(_ pem: [UInt8]) throws(TransportError) {
        let key = try TLSPrivateKey(pem: pem)
        guard SSL_CTX_use_PrivateKey(pointer, key.pointer) == 1, SSL_CTX_check_private_key(pointer) == 1 else {
            throw OpenSSLErrors.error(.credentials, "private key does not match the certificate")
        }
    }

    private func trust(_ rootsPEM: [UInt8], revocationLists crlPEM: [UInt8]) throws(TransportError) {
        guard let store = SSL_CTX_get_cert_store(pointer) else {
            throw OpenSSLErrors.error(.tlsSetup, "context has no certificate store")
        }
        let roots = try MemoryBIO(bytes: rootsPEM)
        var count = 0
        while let root = PEM_read_bio_X509(roots.pointer, nil, nil, nil) {
            defer { X509_free(root) }
            guard X509_STORE_add_cert(store, root) == 1 else {
                throw OpenSSLErrors.error(.credentials, "cannot add trust root")
            }
            count += 1
        }
        _ = OpenSSLErrors.drain()
        guard count > 0 else { throw TransportError(.credentials, "trust roots PEM holds no certificate") }
        guard !crlPEM.isEmpty else { return }
        let crls = try MemoryBIO(bytes: crlPEM)
        var crlCount = 0
        while let crl = PEM_read_bio_X509_CRL(crls.pointer, nil, nil, nil) {
            defer { X509_CRL_free(crl) }
            guard X509_STORE_add_crl(store, crl) == 1 else { throw OpenSSLErrors.error(.credentials, "cannot add CRL") }
            crlCount += 1
        }
        _ = OpenSSLErrors.drain()
        guard crlCount > 0 else { throw TransportError(.credentials, "revocation list PEM holds no CRL") }
        // Leaf check only: the development PKI has no intermediates, and a root's revocation is
        // handled by removing it from the trust roots.
        guard X509_STORE_set_flags(store, UInt(X509_V_FLAG_CRL_CHECK)) == 1 else {
            throw OpenSSLErrors.error(.tlsSetup, "cannot enable CRL checking")
        }
    }
}
