// What a TLS endpoint needs: its certificate chain and key, the roots it trusts for the peer, and
// optional CRLs — as PEM in memory or as files re-read on reload (SIGHUP).

import Foundation

/// Certificates, key, trust roots and CRLs as PEM bytes.
public struct TLSCredentials: Sendable {
    /// Leaf certificate first, then intermediates. Empty only for a client without a certificate.
    public var certificateChainPEM: [UInt8]
    public var privateKeyPEM: [UInt8]
    /// CA certificates that may sign the peer's certificate.
    public var trustRootsPEM: [UInt8]
    /// Concatenated PEM CRLs; when non-empty, the peer's certificate is checked against them.
    public var revocationListsPEM: [UInt8]

    public init(certificateChainPEM: [UInt8], privateKeyPEM: [UInt8], trustRootsPEM: [UInt8],
                revocationListsPEM: [UInt8] = []) {
        self.certificateChainPEM = certificateChainPEM
        self.privateKeyPEM = privateKeyPEM
        self.trustRootsPEM = trustRootsPEM
        self.revocationListsPEM = revocationListsPEM
    }
}

/// Paths of PEM files, read at start and again on every reload.
public struct TLSCredentialFiles: Sendable, Hashable {
    public var certificateChainPath: String
    public var privateKeyPath: String
    public var trustRootsPath: String
    public var revocationListPaths: [String]

    public init(certificateChainPath: String, privateKeyPath: String, trustRootsPath: String,
                revocationListPaths: [String] = []) {
        self.certificateChainPath = certificateChainPath
        self.privateKeyPath = privateKeyPath
        self.trustRootsPath = trustRootsPath
        self.revocationListPaths = revocationListPaths
    }

    /// Reads every file.
    /// - Throws: ``TransportError`` (CREDENTIALS) naming the file that could not be read.
    public func load() throws(TransportError) -> TLSCredentials {
        func read(_ path: String) throws(TransportError) -> [UInt8] {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw TransportError(.credentials, "cannot read \(path)")
            }
            return [UInt8](data)
        }
        var crls: [UInt8] = []
        for path in revocationListPaths { crls += try read(path) }
        return TLSCredentials(certificateChainPEM: try read(certificateChainPath),
                              privateKeyPEM: try read(privateKeyPath),
                              trustRootsPEM: try read(trustRootsPath), revocationListsPEM: crls)
    }
}

/// Where credentials come from.
public enum TLSCredentialSource: Sendable {
    case pem(TLSCredentials)
    /// Re-read on every ``RPCServer/reloadCredentials()``.
    case files(TLSCredentialFiles)

    func load() throws(TransportError) -> TLSCredentials {
        switch self {
        case .pem(let credentials): credentials
        case .files(let files): try files.load()
        }
    }
}

/// TLS settings of a server or a client.
public struct TLSConfiguration: Sendable {
    public var credentials: TLSCredentialSource
    /// Accept TLS 1.2 as well as 1.3 (off by default).
    public var allowTLS12: Bool

    public init(credentials: TLSCredentialSource, allowTLS12: Bool = false) {
        self.credentials = credentials
        self.allowTLS12 = allowTLS12
    }
}
