// The acceptance abuse cases: each misbehaving peer is refused with a clear error while a
// well-behaved client on another connection keeps getting answers throughout.

import Foundation
import RPCCore
import Synchronization
import Testing
@testable import RPCTransport

/// Runs echo calls on its own channel until stopped; counts successes and failures.
final class WellBehavedClient: Sendable {
    private let task: Task<Void, Never>

    init(harness: TestHarness) throws {
        let channel = try harness.channel()
        let box = Counters()
        self.task = Task { [box] in
            while !box.stop.load(ordering: .relaxed) {
                do {
                    let reply = try await channel.unary(TestMethods.echo, request: [4, 2], options: CallOptions(timeout: .seconds(5)))
                    if reply == [4, 2] { box.ok.add(1, ordering: .relaxed) } else { box.bad.withLock { $0.append("wrong reply") } }
                } catch {
                    box.bad.withLock { $0.append("\(error)") }
                }
                try? await Task.sleep(for: .milliseconds(5))
            }
            await channel.close()
        }
        self.box = box
    }

    private let box: Counters

    final class Counters: Sendable {
        let ok = Atomic<Int>(0)
        let bad = Mutex<[String]>([])
        let stop = Atomic<Bool>(false)
    }

    /// Stops and returns (successes, failure messages).
    func finish() async -> (Int, [String]) {
        box.stop.store(true, ordering: .relaxed)
        await task.value
        return (box.ok.load(ordering: .relaxed), box.bad.withLock { $0 })
    }
}

@Suite struct AbuseTests {
    static func harness(_ configure: (inout RPCServerConfiguration) -> Void = { _ in }) throws -> TestHarness {
        var configuration = RPCServerConfiguration(eventLoopThreads: 2, handshakeTimeout: .milliseconds(300),
                                                   idleTimeout: .milliseconds(400))
        configure(&configuration)
        return try TestHarness.start(configuration: configuration)
    }

    /// Runs `abuse` while a good client calls; expects the good client to see only successes.
    static func whileServing(_ harness: TestHarness, _ abuse: () async throws -> Void) async throws {
        let good = try WellBehavedClient(harness: harness)
        try await abuse()
        let (successes, failures) = await good.finish()
        #expect(failures.isEmpty, "good client failed: \(failures.prefix(3))")
        #expect(successes > 0)
    }

    @Test func maxLengthPrefixGetsGoAway() async throws {
        let harness = try Self.harness()
        try await Self.whileServing(harness) {
            let reply = try await offPool { () -> (Frame?, Frame?) in
                let raw = try RawTLSClient(port: harness.port, tls: TestPKI.shared.clientTLS())
                try raw.send(raw: [1, 2, 0, 0, 0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF])
                return (try raw.nextCallFrame(), try raw.nextCallFrame())
            }
            guard let goAway = reply.0, goAway.type == .goAway else {
                Issue.record("expected GOAWAY, got \(String(describing: reply.0))")
                return
            }
            let decoded = try GoAway(decoding: goAway.payload)
            #expect(decoded.code == .resourceExhausted)
            #expect(decoded.message.contains("4294967295"))
            #expect(reply.1 == nil, "connection must close after GOAWAY")
        }
        await harness.stop()
    }

    @Test func stalledFrameHeadersAreCutOff() async throws {
        // A generous handshake timeout: 100 sequential handshakes must not trip it on a slow machine.
        let harness = try Self.harness { $0.handshakeTimeout = .seconds(10) }
        try await Self.whileServing(harness) {
            let outcomes = try await offPool { () -> [String] in
                let clients = try (0..<100).map { _ in
                    let client = try RawTLSClient(port: harness.port, tls: TestPKI.shared.clientTLS())
                    try client.send(raw: [1, 2, 0, 0, 0, 0, 0, 1, 0, 0, 4, 0])  // MESSAGE header promising 1 KiB
                    return client
                }
                return try clients.map { client in
                    guard let frame = try client.nextCallFrame(timeout: .seconds(5)), frame.type == .goAway else {
                        return "no GOAWAY"
                    }
                    let goAway = try GoAway(decoding: frame.payload)
                    return try client.nextCallFrame(timeout: .seconds(5)) == nil
                        ? "\(goAway.code) \(goAway.message)" : "not closed"
                }
            }
            #expect(outcomes.count == 100)
            #expect(outcomes.allSatisfy { $0.hasPrefix("DEADLINE_EXCEEDED incomplete frame (12 bytes) stalled") },
                    "\(Set(outcomes))")
        }
        #expect(await eventually { harness.server.connectionCount <= 1 })
        await harness.stop()
    }

    @Test func connectionsThatNeverStartTLSAreClosed() async throws {
        let harness = try Self.harness()
        try await Self.whileServing(harness) {
            let closed = try await offPool { () -> Int in
                let sockets = try (0..<200).map { _ in try RawSocket(port: harness.port) }
                return sockets.filter { $0.closesWithin(.seconds(5)) }.count
            }
            #expect(closed == 200)
        }
        await harness.stop()
    }

    @Test func connectionsOverTheLimitAreClosedAtOnce() async throws {
        let harness = try Self.harness {
            $0.maxConnections = 3
            $0.handshakeTimeout = .seconds(10)
            $0.idleTimeout = .seconds(10)
        }
        try await Self.whileServing(harness) {
            #expect(await eventually { harness.server.connectionCount == 1 })
            let outcome = try await offPool { () -> (held: Bool, extraClosed: Bool) in
                let held = try (0..<2).map { _ in try RawSocket(port: harness.port) }
                Thread.sleep(forTimeInterval: 0.1)
                let extra = try RawSocket(port: harness.port)
                let extraClosed = extra.closesWithin(.seconds(2))
                let heldOpen = held.allSatisfy { !$0.closesWithin(.milliseconds(50)) }
                return (heldOpen, extraClosed)
            }
            #expect(outcome.extraClosed)
            #expect(outcome.held)
            #expect(harness.server.refusedConnectionCount >= 1)
        }
        await harness.stop()
    }

    @Test(arguments: ["none", "foreign", "expired", "revoked"])
    func badClientCertificatesAreRefused(kind: String) async throws {
        let harness = try Self.harness()
        let pki = TestPKI.shared
        let tls = switch kind {
        case "none": try pki.clientWithoutCertificateTLS()
        case "foreign": try pki.clientTLS(pki.foreignClient)
        case "expired": try pki.clientTLS(pki.expiredClient)
        default: try pki.clientTLS(pki.revokedClient)
        }
        let expected = switch kind {
        case "none": "certificate required"
        case "foreign": "unknown ca"
        case "expired": "certificate expired"
        default: "certificate revoked"
        }
        try await Self.whileServing(harness) {
            let channel = try harness.channel(tls: tls) { $0.maxAttempts = 1 }
            do {
                _ = try await channel.unary(TestMethods.echo, request: [1], options: CallOptions(timeout: .seconds(5)))
                Issue.record("\(kind) client certificate must be refused")
            } catch let error as RPCError {
                #expect(error.code == .unavailable)
                #expect(error.message.contains(expected), "\(error.message)")
            }
            await channel.close()
        }
        await harness.stop()
    }

    @Test func wrongServerNameIsRefusedByTheClient() async throws {
        let harness = try Self.harness()
        try await Self.whileServing(harness) {
            let channel = try harness.channel(serverName: "hsm.example.org") { $0.maxAttempts = 1 }
            do {
                _ = try await channel.unary(TestMethods.echo, request: [1], options: CallOptions(timeout: .seconds(5)))
                Issue.record("a server certificate for another name must be refused")
            } catch let error as RPCError {
                #expect(error.code == .unavailable)
                #expect(error.message.contains("hostname mismatch"), "\(error.message)")
            }
            await channel.close()
        }
        await harness.stop()
    }

    @Test func slowReaderGetsFourMiBIntact() async throws {
        let harness = try Self.harness { $0.maxBufferedBytesPerConnection = 512 * 1024 }
        try await Self.whileServing(harness) {
            let size = 4 * 1024 * 1024
            let payload = try await offPool { () -> [UInt8] in
                let raw = try RawTLSClient(port: harness.port, tls: TestPKI.shared.clientTLS())
                try raw.openCall(1, method: TestMethods.big, request: withUnsafeBytes(of: UInt32(size).bigEndian) { Array($0) })
                var received: [UInt8] = []
                // Read slowly: about 64 KiB every 2 ms at most.
                var scratch = [UInt8](repeating: 0, count: 65536)
                while true {
                    if let frame = try raw.accumulator.nextFrame() {
                        if frame.type == .message { received = frame.payload }
                        if frame.type == .end { break }
                        continue
                    }
                    Thread.sleep(forTimeInterval: 0.002)
                    let bytes = try raw.socket.receive(max: 65536)
                    guard !bytes.isEmpty else { throw TestFailure("closed early") }
                    bytes.withUnsafeBytes { raw.tls.feedCiphertext($0) }
                    while case .bytes(let count) = try scratch.withUnsafeMutableBytes({ try raw.tls.readPlaintext(into: $0) }) {
                        raw.accumulator.append(Array(scratch[0..<count]))
                    }
                }
                return received
            }
            #expect(payload.count == size)
            #expect(payload == TestMethods.bigPayload(size: size))
        }
        await harness.stop()
    }

    /// Requests whose handlers are running count against the connection's inbound budget: with
    /// room for four 64 KiB requests, 24 slow calls on one connection are not all taken in at once
    /// (the server stops reading), and every one still completes, keepalive pings notwithstanding.
    @Test func runningUnaryRequestsCountAgainstTheConnectionBudget() async throws {
        // Generous handshake and idle limits: this test is about the budget, and a handshake slower
        // than the suite's 300 ms (a busy machine) would end the connection before the calls.
        let harness = try Self.harness {
            $0.maxBufferedBytesPerConnection = 256 * 1024
            $0.handshakeTimeout = .seconds(10)
            $0.idleTimeout = .seconds(30)
            // Pings fall due while reading is held back; that must not end the connection.
            $0.keepaliveInterval = .milliseconds(50)
            $0.keepaliveTimeout = .milliseconds(100)
        }
        let channel = try harness.channel()
        var request = [UInt8](repeating: 0xAB, count: 64 * 1024)
        request[0] = 3  // the slow handler runs 3 x 10 x 10 ms
        let sent = request
        let answers = try await withThrowingTaskGroup(of: [UInt8].self) { group in
            for _ in 0..<24 {
                group.addTask {
                    try await channel.unary(TestMethods.slow, request: sent, options: CallOptions(timeout: .seconds(60)))
                }
            }
            var all: [[UInt8]] = []
            for try await answer in group { all.append(answer) }
            return all
        }
        #expect(answers.count == 24 && answers.allSatisfy { $0 == sent })
        let most = harness.probe.slowMostInFlight.load(ordering: .relaxed)
        #expect(most >= 1 && most <= 8, "\(most) handlers ran at once; the budget holds about 4")
        await channel.close()
        await harness.stop()
    }

    @Test func unknownMethodIsUnimplemented() async throws {
        let harness = try Self.harness()
        let channel = try harness.channel()
        do {
            _ = try await channel.unary(TestMethods.missing, request: [], options: CallOptions())
            Issue.record("unknown method must fail")
        } catch let error as RPCError {
            #expect(error.code == .unimplemented)
            #expect(error.message.contains(String(TestMethods.missing.id, radix: 16)))
        }
        #expect(try await channel.unary(TestMethods.echo, request: [3], options: CallOptions()) == [3])
        await channel.close()
        await harness.stop()
    }

    @Test func frameForClosedStreamIsAnsweredAndConnectionSurvives() async throws {
        let harness = try Self.harness()
        try await Self.whileServing(harness) {
            let result = try await offPool { () -> (CallEnd?, [UInt8]?) in
                let raw = try RawTLSClient(port: harness.port, tls: TestPKI.shared.clientTLS())
                try raw.openCall(1, method: TestMethods.echo, request: [5])
                _ = try raw.nextCallFrame()  // MESSAGE
                _ = try raw.nextCallFrame()  // END OK
                try raw.send(Frame(type: .message, streamID: 1, payload: [6]))
                let refusal = try raw.nextCallFrame().map { try CallEnd(decoding: $0.payload) }
                try raw.openCall(3, method: TestMethods.echo, request: [7])
                let echo = try raw.nextCallFrame()
                return (refusal, echo?.payload)
            }
            #expect(result.0?.code == .failedPrecondition)
            #expect(result.0?.message.contains("closed") == true)
            #expect(result.1 == [7])
        }
        await harness.stop()
    }

    @Test func exceededDeadlineStopsServerWork() async throws {
        let harness = try TestHarness.start()
        let channel = try harness.channel()
        let started = ContinuousClock.now
        do {
            // The handler would run 25 s; the deadline is 300 ms.
            _ = try await channel.unary(TestMethods.slow, request: [250], options: CallOptions(timeout: .milliseconds(300)))
            Issue.record("slow call must exceed its deadline")
        } catch let error as RPCError {
            #expect(error.code == .deadlineExceeded, "\(error)")
        }
        #expect(ContinuousClock.now - started < .seconds(10))
        // Under load the server may see the call only after its deadline and never start it;
        // either way no work may go on: every started handler observed the cancellation.
        let probe = harness.probe
        #expect(await eventually { harness.server.activeCallCount == 0 })
        #expect(await eventually {
            probe.slowSawCancellation.load(ordering: .relaxed) == probe.slowStarted.load(ordering: .relaxed)
        })
        #expect(probe.slowCompleted.load(ordering: .relaxed) == 0)
        await channel.close()
        await harness.stop()
    }
}
