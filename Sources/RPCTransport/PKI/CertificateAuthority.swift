// A small in-process certificate authority for development and tests: the daemon's `--dev` mode
// creates its PKI with it, and the transport tests make every certificate they need (valid,
// expired, from another CA, revoked) in memory, with no openssl command line involved.

import COpenSSL
import Synchronization

/// What a leaf certificate is for.
public enum CertificateProfile: Sendable, Hashable {
    /// A TLS server: SAN DNS names and IPv4 addresses, extended key usage serverAuth.
    case server(dnsNames: [String], ipAddresses: [String])
    /// A TLS client: optional SAN URI identity (e.g. `spiffe://personahsm/role/issuer`), clientAuth.
    case client(uri: String?)
}

/// A certificate and its private key, as PEM.
public struct IssuedCredential: Sendable {
    public var certificatePEM: [UInt8]
    public var privateKeyPEM: [UInt8]
    public var serialNumber: UInt64
}

/// A self-signed CA that issues leaf certificates and CRLs.
public final class CertificateAuthority: Sendable {
    public let certificate: X509Certificate
    let key: TLSPrivateKey
    private let serials: Atomic<UInt64>

    /// Creates a CA with a fresh P-256 key.
    /// - Parameters:
    ///   - commonName: Subject CN of the CA.
    ///   - validDays: Validity from one minute ago.
    public init(commonName: String, validDays: Int = 3650) throws(TransportError) {
        let key = try TLSPrivateKey.generateP256()
        let firstSerial = UInt64.random(in: 1 << 40 ..< 1 << 62)
        let x509 = try CertificateBuilder.build(
            subjectCN: commonName, serial: firstSerial, subjectKey: key, issuer: nil, issuerKey: key,
            notBeforeOffset: -60, notAfterOffset: validDays * 86400,
            extensions: [(NID_basic_constraints, "critical,CA:TRUE"),
                         (NID_key_usage, "critical,keyCertSign,cRLSign"),
                         (NID_subject_key_identifier, "hash")])
        self.key = key
        self.certificate = x509
        self.serials = Atomic(firstSerial + 1)
    }

    /// The CA certificate as PEM (what peers trust).
    public func certificatePEM() throws(TransportError) -> [UInt8] { try certificate.pemBytes() }

    /// Issues a leaf certificate with a fresh P-256 key.
    /// - Parameters:
    ///   - commonName: Subject CN.
    ///   - profile: Server or client usage and SANs.
    ///   - notBeforeOffset: Seconds from now (negative: in the past).
    ///   - notAfterOffset: Seconds from now; negative makes an expired certificate.
    public func issue(commonName: String, profile: CertificateProfile, notBeforeOffset: Int = -60,
                      notAfterOffset: Int = 365 * 86400) throws(TransportError) -> IssuedCredential {
        let key = try TLSPrivateKey.generateP256()
        let serial = serials.add(1, ordering: .relaxed).oldValue
        var extensions: [(Int32, String)] = [(NID_basic_constraints, "critical,CA:FALSE"),
                                             (NID_key_usage, "critical,digitalSignature"),
                                             (NID_subject_key_identifier, "hash"),
                                             (NID_authority_key_identifier, "keyid:always")]
        switch profile {
        case .server(let dnsNames, let ipAddresses):
            extensions.append((NID_ext_key_usage, "serverAuth"))
            let sans = dnsNames.map { "DNS:\($0)" } + ipAddresses.map { "IP:\($0)" }
            if !sans.isEmpty { extensions.append((NID_subject_alt_name, sans.joined(separator: ","))) }
        case .client(let uri):
            extensions.append((NID_ext_key_usage, "clientAuth"))
            if let uri { extensions.append((NID_subject_alt_name, "URI:\(uri)")) }
        }
        let x509 = try CertificateBuilder.build(
            subjectCN: commonName, serial: serial, subjectKey: key, issuer: certificate, issuerKey: self.key,
            notBeforeOffset: notBeforeOffset, notAfterOffset: notAfterOffset, extensions: extensions)
        return IssuedCredential(certificatePEM: try x509.pemBytes(), privateKeyPEM: try key.pemBytes(),
                                serialNumber: serial)
    }
}
