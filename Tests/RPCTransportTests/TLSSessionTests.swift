// TLS over memory BIOs, without sockets: the handshake, mutual authentication, identity
// extraction and every refusal the server and client must make.

import RPCCore
import Testing
@testable import RPCTransport

@Suite struct TLSSessionTests {
    /// Pumps ciphertext between two sessions until both finish the handshake or one fails.
    static func handshake(_ client: TLSSession, _ server: TLSSession) throws {
        for _ in 0..<20 {
            let clientDone = try client.advanceHandshake()
            var bytes: [UInt8] = []
            client.drainCiphertext(into: &bytes)
            bytes.withUnsafeBytes { server.feedCiphertext($0) }
            let serverDone = try server.advanceHandshake()
            bytes = []
            server.drainCiphertext(into: &bytes)
            bytes.withUnsafeBytes { client.feedCiphertext($0) }
            if clientDone && serverDone { return }
        }
        Issue.record("handshake did not finish")
    }

    static func pair(client clientTLS: TLSConfiguration, serverName: String = "localhost",
                     serverTLS: TLSConfiguration? = nil) throws -> (TLSSession, TLSSession) {
        let pki = TestPKI.shared
        let server = try TLSSession(context: TLSContext(role: .server, configuration: serverTLS ?? pki.serverTLS()))
        let client = try TLSSession(context: TLSContext(role: .client, configuration: clientTLS),
                                    serverName: serverName)
        return (client, server)
    }

    @Test func mutualHandshakeYieldsPeerIdentity() throws {
        let (client, server) = try Self.pair(client: TestPKI.shared.clientTLS())
        try Self.handshake(client, server)
        let identity = try server.verifiedPeer()
        #expect(identity.name == "spiffe://personahsm/role/issuer")
        #expect(identity.commonName == "issuer-1")
        #expect(identity.subjectAltNames == ["spiffe://personahsm/role/issuer"])
        #expect(identity.fingerprintSHA256.count == 64)
        #expect(server.protocolVersion == "TLSv1.3")
        #expect(try client.verifiedPeer().name == "localhost")
    }

    @Test func plaintextRoundTripsBothWays() throws {
        let (client, server) = try Self.pair(client: TestPKI.shared.clientTLS())
        try Self.handshake(client, server)
        let message = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try message.withUnsafeBytes { try client.writePlaintext($0) }
        var wire: [UInt8] = []
        client.drainCiphertext(into: &wire)
        wire.withUnsafeBytes { server.feedCiphertext($0) }
        var received: [UInt8] = []
        var scratch = [UInt8](repeating: 0, count: 16384)
        while true {
            let result = try scratch.withUnsafeMutableBytes { try server.readPlaintext(into: $0) }
            guard case .bytes(let count) = result else { break }
            received += scratch[0..<count]
        }
        #expect(received == message)
    }

    @Test func clientWithoutCertificateIsRefused() throws {
        let (client, server) = try Self.pair(client: TestPKI.shared.clientWithoutCertificateTLS())
        do {
            try Self.handshake(client, server)
            Issue.record("a certificate-less client must be refused")
        } catch let error as TransportError {
            #expect(error.description.contains("peer did not return a certificate"), "\(error)")
        }
    }

    @Test func wrongServerNameIsRefusedByTheClient() throws {
        let (client, server) = try Self.pair(client: TestPKI.shared.clientTLS(), serverName: "hsm.example.com")
        do {
            try Self.handshake(client, server)
            Issue.record("handshake must fail")
        } catch let error as TransportError {
            #expect(error.code == .handshake)
            #expect(error.description.contains("hostname mismatch"))
        }
    }

    @Test func ipAddressNameIsVerified() throws {
        let (client, server) = try Self.pair(client: TestPKI.shared.clientTLS(), serverName: "127.0.0.1")
        try Self.handshake(client, server)
        #expect(client.isHandshakeComplete)
        let (client2, server2) = try Self.pair(client: TestPKI.shared.clientTLS(), serverName: "127.0.0.2")
        #expect(throws: TransportError.self) { try Self.handshake(client2, server2) }
    }

    @Test(arguments: ["expired", "revoked", "foreign"])
    func badClientCertificatesAreRefused(kind: String) throws {
        let pki = TestPKI.shared
        let credential = switch kind {
        case "expired": pki.expiredClient
        case "revoked": pki.revokedClient
        default: pki.foreignClient
        }
        let (client, server) = try Self.pair(client: pki.clientTLS(credential))
        do {
            try Self.handshake(client, server)
            Issue.record("\(kind) certificate must be refused")
        } catch let error as TransportError {
            let expected = switch kind {
            case "expired": "certificate has expired"
            case "revoked": "certificate revoked"
            default: "unable to get local issuer certificate"
            }
            #expect(error.description.contains(expected), "\(error)")
        }
    }

    @Test func serverFromAnotherCAIsRefusedByTheClient() throws {
        let pki = TestPKI.shared
        let (client, server) = try Self.pair(client: pki.clientTLS(trusting: pki.otherCA))
        #expect(throws: TransportError.self) { try Self.handshake(client, server) }
    }

    @Test func crlWithoutTheSerialLetsTheClientIn() throws {
        let pki = TestPKI.shared
        let emptyCRL = try pki.ca.revocationList(revoking: [])
        let tls = TLSConfiguration(credentials: .pem(TLSCredentials(
            certificateChainPEM: pki.server.certificatePEM, privateKeyPEM: pki.server.privateKeyPEM,
            trustRootsPEM: try pki.ca.certificatePEM(), revocationListsPEM: emptyCRL)))
        let (client, server) = try Self.pair(client: pki.clientTLS(pki.revokedClient), serverTLS: tls)
        try Self.handshake(client, server)
        #expect(try server.verifiedPeer().commonName == "revoked")
    }
}
