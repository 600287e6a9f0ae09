// The development PKI on disk: the daemon's `--dev` mode calls this on first run to create
// `.personahsm/pki/` (a CA, a server certificate for localhost/127.0.0.1, an admin and an issuer
// client certificate, and an empty CRL), then loads the files like any production PKI. Private
// keys are written 0600; existing files are never overwritten.

import Foundation

/// Paths of a development PKI directory.
public struct DevPKIDirectory: Sendable {
    public let directory: String

    public init(directory: String) { self.directory = directory }

    public var caCertificatePath: String { path("ca.pem") }
    public var caKeyPath: String { path("ca-key.pem") }
    public var serverCertificatePath: String { path("server.pem") }
    public var serverKeyPath: String { path("server-key.pem") }
    public var crlPath: String { path("crl.pem") }
    public func clientCertificatePath(_ name: String) -> String { path("client-\(name).pem") }
    public func clientKeyPath(_ name: String) -> String { path("client-\(name)-key.pem") }

    /// Client identities created by default: name → SAN URI.
    public static let defaultClients = [
        "admin": "spiffe://personahsm/role/admin",
        "issuer": "spiffe://personahsm/role/issuer",
    ]

    private func path(_ file: String) -> String { (directory as NSString).appendingPathComponent(file) }

    /// Whether the CA and server files exist.
    public var exists: Bool {
        [caCertificatePath, serverCertificatePath, serverKeyPath].allSatisfy { FileManager.default.fileExists(atPath: $0) }
    }

    /// Creates the PKI unless it exists.
    /// - Returns: `true` when files were created.
    /// - Throws: ``TransportError`` (PKI) when a certificate or a file cannot be made.
    @discardableResult
    public func createIfMissing(clients: [String: String] = DevPKIDirectory.defaultClients) throws(TransportError) -> Bool {
        guard !exists else { return false }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw TransportError(.pki, "cannot create \(directory)", cause: "\(error)")
        }
        let ca = try CertificateAuthority(commonName: "PersonaHSM Development CA")
        try write(try ca.certificatePEM(), to: caCertificatePath, secret: false)
        try write(try ca.key.pemBytes(), to: caKeyPath, secret: true)
        let server = try ca.issue(commonName: "localhost",
                                  profile: .server(dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"]))
        try write(server.certificatePEM, to: serverCertificatePath, secret: false)
        try write(server.privateKeyPEM, to: serverKeyPath, secret: true)
        for (name, uri) in clients.sorted(by: { $0.key < $1.key }) {
            let client = try ca.issue(commonName: name, profile: .client(uri: uri))
            try write(client.certificatePEM, to: clientCertificatePath(name), secret: false)
            try write(client.privateKeyPEM, to: clientKeyPath(name), secret: true)
        }
        try write(try ca.revocationList(revoking: []), to: crlPath, secret: false)
        return true
    }

    /// Server credentials from these files (reloadable).
    public var serverCredentials: TLSCredentialFiles {
        TLSCredentialFiles(certificateChainPath: serverCertificatePath, privateKeyPath: serverKeyPath,
                           trustRootsPath: caCertificatePath, revocationListPaths: [crlPath])
    }

    /// Client credentials for one of the created identities.
    public func clientCredentials(_ name: String) -> TLSCredentialFiles {
        TLSCredentialFiles(certificateChainPath: clientCertificatePath(name), privateKeyPath: clientKeyPath(name),
                           trustRootsPath: caCertificatePath)
    }

    private func write(_ bytes: [UInt8], to path: String, secret: Bool) throws(TransportError) {
        guard !FileManager.default.fileExists(atPath: path) else { return }
        let created = FileManager.default.createFile(atPath: path, contents: Data(bytes),
                                                     attributes: [.posixPermissions: secret ? 0o600 : 0o644])
        guard created else { throw TransportError(.pki, "cannot write \(path)") }
    }
}
