// How every internal client reaches personahsmd: a mutual-TLS channel (pooled, failing over
// between endpoints) and the generated service stubs on top of it. The CLI, the issuance job
// and the load harness all connect through here.

import Foundation
import PersonaProtos
import RPCCore
import RPCTransport

/// Where and as whom to connect.
public struct ClientConfiguration: Sendable {
    /// `host:port` endpoints in order of preference.
    public var endpoints: [String]
    /// Client certificate chain, private key and the CA that signed the server (PEM files).
    public var certificate: String
    public var privateKey: String
    public var caCertificate: String
    /// Name the server certificate must carry (defaults to each endpoint's host).
    public var serverName: String?
    public var connectionsPerEndpoint: Int
    public var defaultTimeout: Duration?

    public init(endpoints: [String], certificate: String, privateKey: String, caCertificate: String,
                serverName: String? = nil, connectionsPerEndpoint: Int = 1, defaultTimeout: Duration? = .seconds(30)) {
        self.endpoints = endpoints
        self.certificate = certificate
        self.privateKey = privateKey
        self.caCertificate = caCertificate
        self.serverName = serverName
        self.connectionsPerEndpoint = connectionsPerEndpoint
        self.defaultTimeout = defaultTimeout
    }

    /// The dev environment's credentials for `role` (`.personahsm/pki/<role>.pem`).
    public static func dev(role: String, root: String = ".personahsm", endpoint: String = "127.0.0.1:7443")
        -> ClientConfiguration
    {
        ClientConfiguration(endpoints: [endpoint], certificate: "\(root)/pki/\(role).pem",
                           privateKey: "\(root)/pki/\(role).key", caCertificate: "\(root)/pki/ca.pem")
    }
}

/// An open channel with typed clients for every service.
public final class PersonaConnection: Sendable {
    public let channel: RPCChannel
    public var keys: KeyServiceClient { KeyServiceClient(transport: channel) }
    public var signing: SigningServiceClient { SigningServiceClient(transport: channel) }
    public var crypto: CryptoServiceClient { CryptoServiceClient(transport: channel) }
    public var admin: AdminServiceClient { AdminServiceClient(transport: channel) }
    public var health: HealthServiceClient { HealthServiceClient(transport: channel) }

    public init(_ settings: ClientConfiguration) throws {
        let endpoints = try settings.endpoints.map { text -> RPCEndpoint in
            guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else {
                throw RPCError(.invalidArgument, "endpoint must be host:port, not \(text)")
            }
            return RPCEndpoint(host: String(text[..<colon]), port: port, serverName: settings.serverName)
        }
        let files = TLSCredentialFiles(certificateChainPath: settings.certificate, privateKeyPath: settings.privateKey,
                                       trustRootsPath: settings.caCertificate)
        channel = try RPCChannel(configuration: RPCChannelConfiguration(
            endpoints: endpoints, tls: TLSConfiguration(credentials: .files(files)),
            connectionsPerEndpoint: settings.connectionsPerEndpoint, defaultTimeout: settings.defaultTimeout))
    }

    public func close() async { await channel.close() }
}
