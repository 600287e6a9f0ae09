// Client channel behaviour when servers misbehave or go away: cancellation reaching the server,
// stream limits, failover between endpoints, retry only when safe, draining, keepalive pings,
// and certificate reload without dropping connections.

import Foundation
import RPCCore
import Synchronization
import Testing
@testable import RPCTransport

@Suite struct ResilienceTests {
    @Test func cancellingTheCallerStopsServerWork() async throws {
        let harness = try TestHarness.start()
        let channel = try harness.channel()
        let call = Task { try await channel.unary(TestMethods.slow, request: [100], options: CallOptions()) }
        #expect(await eventually { harness.probe.slowStarted.load(ordering: .relaxed) == 1 })
        call.cancel()
        do {
            _ = try await call.value
            Issue.record("cancelled call must throw")
        } catch let error as RPCError {
            #expect(error.code == .cancelled)
        }
        #expect(await eventually { harness.probe.slowSawCancellation.load(ordering: .relaxed) == 1 })
        #expect(await eventually { harness.server.activeCallCount == 0 })
        await channel.close()
        await harness.stop()
    }

    @Test func streamsOverTheLimitAreRefusedAndTheRestSucceed() async throws {
        let harness = try TestHarness.start(configuration: RPCServerConfiguration(
            eventLoopThreads: 1, maxConcurrentStreamsPerConnection: 2))
        let channel = try harness.channel { $0.maxAttempts = 1 }
        let results = await withTaskGroup(of: Result<[UInt8], RPCError>.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    do {
                        return .success(try await channel.unary(TestMethods.slow, request: [5], options: CallOptions()))
                    } catch {
                        return .failure(error as? RPCError ?? RPCError(.unknown, "\(error)"))
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let refused = results.compactMap { if case .failure(let error) = $0 { error } else { nil } }
        #expect(results.count - refused.count == 2)
        #expect(refused.count == 2)
        #expect(refused.allSatisfy { $0.code == .resourceExhausted && $0.details?.reason == "TOO_MANY_STREAMS" })
        await channel.close()
        await harness.stop()
    }

    @Test func refusedStreamsAreRetriedTransparently() async throws {
        let harness = try TestHarness.start(configuration: RPCServerConfiguration(
            eventLoopThreads: 1, maxConcurrentStreamsPerConnection: 1))
        let channel = try harness.channel { $0.maxAttempts = 50 }
        async let first = channel.unary(TestMethods.slow, request: [3], options: CallOptions())
        #expect(await eventually { harness.probe.slowStarted.load(ordering: .relaxed) == 1 })
        // Non-idempotent, no key: still retried, because the server refused it unprocessed.
        async let second = channel.unary(TestMethods.slow, request: [1], options: CallOptions(timeout: .seconds(5)))
        #expect(try await first == [3])
        #expect(try await second == [1])
        await channel.close()
        await harness.stop()
    }

    @Test func failsOverToTheNextHealthyEndpoint() async throws {
        let primary = try TestHarness.start()
        let secondary = try TestHarness.start()
        let primaryPort = primary.port
        let channel = try secondary.channel { configuration in
            configuration.endpoints = [RPCEndpoint(host: "127.0.0.1", port: primaryPort, serverName: "localhost"),
                                       configuration.endpoints[0]]
        }
        #expect(try await channel.unary(TestMethods.echo, request: [1], options: CallOptions()) == [1])
        #expect(primary.server.connectionCount == 1)
        #expect(secondary.server.connectionCount == 0)
        await primary.stop()
        for value in 2...20 {
            let reply = try await channel.unary(TestMethods.echo, request: [UInt8(value)], options: CallOptions(timeout: .seconds(5)))
            #expect(reply == [UInt8(value)])
        }
        #expect(secondary.server.connectionCount == 1)
        await channel.close()
        await secondary.stop()
    }

    @Test func noEndpointFailsFastWithUnavailable() async throws {
        let harness = try TestHarness.start()
        let port = harness.port
        await harness.stop()
        let channel = try harness.channel { $0.endpoints = [RPCEndpoint(host: "127.0.0.1", port: port)] }
        let started = ContinuousClock.now
        do {
            _ = try await channel.unary(TestMethods.echo, request: [1], options: CallOptions(timeout: .seconds(3)))
            Issue.record("a dead endpoint must fail")
        } catch let error as RPCError {
            #expect(error.code == .unavailable)
            #expect(error.message.contains("refused"), "\(error.message)")
        }
        #expect(ContinuousClock.now - started < .seconds(2))
        await channel.close()
    }

    @Test func lostConnectionRetriesOnlyIdempotentCalls() async throws {
        let first = try TestHarness.start()
        let second = try TestHarness.start()
        let firstPort = first.port
        let channel = try second.channel { configuration in
            configuration.endpoints = [RPCEndpoint(host: "127.0.0.1", port: firstPort, serverName: "localhost"),
                                       configuration.endpoints[0]]
        }
        let plain = Task { try await channel.unary(TestMethods.slow, request: [100], options: CallOptions()) }
        let keyed = Task {
            try await channel.unary(TestMethods.slow, request: [1], options: CallOptions(idempotencyKey: "op-1"))
        }
        #expect(await eventually { first.probe.slowStarted.load(ordering: .relaxed) == 2 })
        await first.server.shutdown(gracefully: false)
        guard case .failure(let error as RPCError) = await plain.result else {
            Issue.record("a non-idempotent call in flight on a lost server must fail")
            return
        }
        #expect(error.code == .unavailable)
        #expect(try await keyed.value == [1])
        #expect(second.probe.slowStarted.load(ordering: .relaxed) == 1)
        await channel.close()
        await second.stop()
    }

    @Test func serverPingsAndClosesPeersThatNeverAnswer() async throws {
        let harness = try TestHarness.start(configuration: RPCServerConfiguration(
            eventLoopThreads: 1, keepaliveInterval: .milliseconds(50), keepaliveTimeout: .milliseconds(100)))
        let channel = try harness.channel()
        _ = try await channel.unary(TestMethods.echo, request: [1], options: CallOptions())
        let outcome = try await offPool { () -> (sawPing: Bool, closed: Bool) in
            let raw = try RawTLSClient(port: harness.port, tls: TestPKI.shared.clientTLS())
            var sawPing = false
            while let frame = try raw.nextFrame(timeout: .seconds(3)) {
                if frame.type == .ping { sawPing = true }
            }
            return (sawPing, true)
        }
        #expect(outcome.sawPing)
        // The channel answers pings, so its connection survives many keepalive intervals.
        try await Task.sleep(for: .milliseconds(400))
        #expect(try await channel.unary(TestMethods.echo, request: [2], options: CallOptions()) == [2])
        #expect(harness.server.connectionCount == 1)
        await channel.close()
        await harness.stop()
    }

    @Test func reloadSwapsCertificatesWithoutDroppingConnections() async throws {
        let pki = TestPKI.shared
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rpc-reload-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let files = TLSCredentialFiles(certificateChainPath: directory + "/server.pem",
                                       privateKeyPath: directory + "/server-key.pem",
                                       trustRootsPath: directory + "/ca.pem")
        func install(_ credential: IssuedCredential) throws {
            try Data(credential.certificatePEM).write(to: URL(fileURLWithPath: files.certificateChainPath))
            try Data(credential.privateKeyPEM).write(to: URL(fileURLWithPath: files.privateKeyPath))
        }
        try Data(try pki.ca.certificatePEM()).write(to: URL(fileURLWithPath: files.trustRootsPath))
        try install(pki.server)
        let harness = try TestHarness.start(tls: TLSConfiguration(credentials: .files(files)))
        let channel = try harness.channel()
        _ = try await channel.unary(TestMethods.echo, request: [1], options: CallOptions())

        let renewed = try pki.ca.issue(commonName: "localhost", profile: .server(dnsNames: ["localhost"], ipAddresses: []))
        try install(renewed)
        try harness.server.reloadCredentials()
        let seen = try await offPool {
            try RawTLSClient(port: harness.port, tls: pki.clientTLS()).tls.peerCertificate?.serialNumber
        }
        #expect(seen == renewed.serialNumber)
        // The connection made before the reload still works.
        #expect(try await channel.unary(TestMethods.echo, request: [2], options: CallOptions()) == [2])

        try Data("not a key".utf8).write(to: URL(fileURLWithPath: files.privateKeyPath))
        #expect(throws: TransportError.self) { try harness.server.reloadCredentials() }
        #expect(try await offPool { try RawTLSClient(port: harness.port, tls: pki.clientTLS()).tls.isHandshakeComplete })
        await channel.close()
        await harness.stop()
    }

    @Test func devPKIDirectoryIsCreatedOnceWithPrivateKeys() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rpc-devpki-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pki = DevPKIDirectory(directory: directory + "/pki")
        #expect(try pki.createIfMissing())
        #expect(try !pki.createIfMissing())
        for path in [pki.caKeyPath, pki.serverKeyPath, pki.clientKeyPath("issuer")] {
            let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
            #expect(mode == 0o600, "\(path)")
        }
        let server = try RPCServer(configuration: RPCServerConfiguration(eventLoopThreads: 1),
                                   tls: TLSConfiguration(credentials: .files(pki.serverCredentials)),
                                   services: [EchoService(probe: Probe())])
        let port = try server.start()
        let channel = try RPCChannel(configuration: RPCChannelConfiguration(
            endpoints: [RPCEndpoint(host: "127.0.0.1", port: port)],
            tls: TLSConfiguration(credentials: .files(pki.clientCredentials("issuer")))))
        let identity = try await channel.unary(TestMethods.identity, request: [], options: CallOptions())
        #expect(String(decoding: identity, as: UTF8.self).hasPrefix("spiffe://personahsm/role/issuer|issuer|"))
        await channel.close()
        await server.shutdown()
    }
}
