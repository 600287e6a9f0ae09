// Certificates the transport tests share: made once per process by the in-process CA (P-256 keys
// are cheap), immutable afterwards, so concurrently running suites can all use them.

import RPCTransport

/// A CA, a server certificate for localhost/127.0.0.1, and client certificates of every kind.
struct TestPKI: Sendable {
    let ca: CertificateAuthority
    let otherCA: CertificateAuthority
    let server: IssuedCredential
    let client: IssuedCredential
    let expiredClient: IssuedCredential
    let revokedClient: IssuedCredential
    let foreignClient: IssuedCredential
    let crl: [UInt8]

    static let shared: TestPKI = {
        do { return try TestPKI() } catch { fatalError("test PKI: \(error)") }
    }()

    init() throws {
        ca = try CertificateAuthority(commonName: "PersonaHSM Test CA")
        otherCA = try CertificateAuthority(commonName: "Some Other CA")
        server = try ca.issue(commonName: "localhost",
                              profile: .server(dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"]))
        client = try ca.issue(commonName: "issuer-1", profile: .client(uri: "spiffe://personahsm/role/issuer"))
        expiredClient = try ca.issue(commonName: "expired", profile: .client(uri: nil),
                                     notBeforeOffset: -2 * 86400, notAfterOffset: -86400)
        revokedClient = try ca.issue(commonName: "revoked", profile: .client(uri: "spiffe://personahsm/role/revoked"))
        foreignClient = try otherCA.issue(commonName: "stranger", profile: .client(uri: "spiffe://elsewhere/x"))
        crl = try ca.revocationList(revoking: [revokedClient.serialNumber])
    }

    func serverTLS(withCRL: Bool = true) throws -> TLSConfiguration {
        TLSConfiguration(credentials: .pem(TLSCredentials(
            certificateChainPEM: server.certificatePEM, privateKeyPEM: server.privateKeyPEM,
            trustRootsPEM: try ca.certificatePEM(), revocationListsPEM: withCRL ? crl : [])))
    }

    func clientTLS(_ credential: IssuedCredential? = nil, trusting root: CertificateAuthority? = nil) throws
        -> TLSConfiguration
    {
        let credential = credential ?? client
        return TLSConfiguration(credentials: .pem(TLSCredentials(
            certificateChainPEM: credential.certificatePEM, privateKeyPEM: credential.privateKeyPEM,
            trustRootsPEM: try (root ?? ca).certificatePEM())))
    }

    func clientWithoutCertificateTLS() throws -> TLSConfiguration {
        TLSConfiguration(credentials: .pem(TLSCredentials(certificateChainPEM: [], privateKeyPEM: [],
                                                          trustRootsPEM: try ca.certificatePEM())))
    }
}
