// What personahsm-load sends: one operation per mode (unary sign, sign batch, signing stream,
// verify, encrypt), against `keyCount` keys of one algorithm, over pooled connections. The
// scenario creates its keys on first use and spreads calls across them.

import Foundation
import PersonaClient
import PersonaProtos
import RPCCore
import Synchronization

/// The operation under load.
public enum LoadMode: String, Sendable, CaseIterable {
    case sign, batch, stream, verify, encrypt
}

/// A prepared load scenario: keys exist, payloads are made, connections are open.
public final class LoadScenario: Sendable {
    public let mode: LoadMode
    public let batchSize: Int
    let connections: [PersonaConnection]
    let keyNames: [String]
    let payload: [UInt8]
    let signatures: [[UInt8]]
    let streams: [StreamingCall<SignRequest, SignResult>]
    let streamRouter: StreamRouter?

    /// Opens `connectionCount` connections and creates (or reuses) `keyCount` keys named
    /// `<prefix>-<algorithm>-<n>`.
    public static func prepare(mode: LoadMode, algorithm: Algorithm, keyCount: Int, batchSize: Int,
                               connectionCount: Int, streamsPerConnection: Int, payloadBytes: Int,
                               configuration: ClientConfiguration, prefix: String = "load") async throws -> LoadScenario {
        let connections = try (0..<max(1, connectionCount)).map { _ in try PersonaConnection(configuration) }
        let keyAlgorithm: Algorithm = mode == .encrypt ? .aes256Gcm : algorithm
        var names: [String] = []
        for index in 0..<max(1, keyCount) {
            let name = "\(prefix)-\(keyAlgorithm.rawValue)-\(index)"
            do {
                _ = try await connections[0].keys.getKey(GetKeyRequest(name: name), options: CallOptions())
            } catch let error as RPCError where error.code == .notFound {
                _ = try await connections[0].keys.createKey(CreateKeyRequest(name: name, algorithm: keyAlgorithm,
                                                                             disableRotation: true), options: CallOptions())
            }
            names.append(name)
        }
        let payload = (0..<payloadBytes).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        var signatures: [[UInt8]] = []
        if mode == .verify {
            for name in names {
                let response = try await connections[0].signing.sign(
                    SignRequest(keyName: name, input: .data(payload)), options: CallOptions())
                signatures.append(response.signature)
            }
        }
        var streams: [StreamingCall<SignRequest, SignResult>] = []
        var router: StreamRouter?
        if mode == .stream {
            for connection in connections {
                for _ in 0..<max(1, streamsPerConnection) {
                    streams.append(try await connection.signing.signStream(options: CallOptions()))
                }
            }
            router = StreamRouter(streams: streams)
        }
        return LoadScenario(mode: mode, batchSize: batchSize, connections: connections, keyNames: names,
                            payload: payload, signatures: signatures, streams: streams, streamRouter: router)
    }

    private init(mode: LoadMode, batchSize: Int, connections: [PersonaConnection], keyNames: [String], payload: [UInt8],
                 signatures: [[UInt8]], streams: [StreamingCall<SignRequest, SignResult>], streamRouter: StreamRouter?) {
        self.mode = mode
        self.batchSize = batchSize
        self.connections = connections
        self.keyNames = keyNames
        self.payload = payload
        self.signatures = signatures
        self.streams = streams
        self.streamRouter = streamRouter
    }

    /// Signatures (or operations) one call performs: `batchSize` for batch mode, else 1.
    public var operationsPerCall: Int { mode == .batch ? batchSize : 1 }

    /// Runs call number `index`.
    public func call(_ index: UInt64) async throws {
        let connection = connections[Int(index % UInt64(connections.count))]
        let keyIndex = Int(index % UInt64(keyNames.count))
        let name = keyNames[keyIndex]
        switch mode {
        case .sign:
            _ = try await connection.signing.sign(SignRequest(keyName: name, input: .data(payload)), options: CallOptions())
        case .batch:
            let response = try await connection.signing.signBatch(SignBatchRequest(requests: (0..<batchSize).map { _ in
                SignRequest(keyName: name, input: .data(payload))
            }), options: CallOptions())
            if let failure = response.results.first(where: { if case .error = $0.result { true } else { false } }),
               case .error(let status) = failure.result {
                throw RPCError(RPCCore.StatusCode(rawValue: UInt8(clamping: status.code.rawValue)) ?? .unknown, status.message)
            }
        case .stream:
            try await streamRouter!.sign(SignRequest(keyName: name, input: .data(payload)), index: index)
        case .verify:
            let response = try await connection.signing.verify(VerifyRequest(
                keyName: name, input: .data(payload), signature: signatures[keyIndex]), options: CallOptions())
            guard response.valid else { throw RPCError(.internal, "a known-good signature did not verify") }
        case .encrypt:
            _ = try await connection.crypto.encrypt(EncryptRequest(keyName: name, plaintext: payload), options: CallOptions())
        }
    }

    public func close() async {
        for stream in streams { try? await stream.closeSend() }
        for connection in connections { await connection.close() }
    }
}

/// Multiplexes calls over open signing streams: each call sends one item with a unique
/// request id and waits for the result with that id.
final class StreamRouter: Sendable {
    private let streams: [StreamingCall<SignRequest, SignResult>]
    private let waiting = Mutex<[String: CheckedContinuation<SignResult, any Error>]>([:])

    init(streams: [StreamingCall<SignRequest, SignResult>]) {
        self.streams = streams
        for stream in streams {
            Task { [weak self] in
                do {
                    for try await result in stream.responses { self?.deliver(result) }
                    self?.failAll(RPCError(.unavailable, "signing stream ended"))
                } catch {
                    self?.failAll(error)
                }
            }
        }
    }

    func sign(_ request: SignRequest, index: UInt64) async throws {
        var tagged = request
        tagged.requestId = String(index)
        let item = tagged
        let stream = streams[Int(index % UInt64(streams.count))]
        let result: SignResult = try await withCheckedThrowingContinuation { continuation in
            waiting.withLock { $0[item.requestId] = continuation }
            Task {
                do { try await stream.send(item) } catch {
                    if let waiter = self.waiting.withLock({ $0.removeValue(forKey: item.requestId) }) {
                        waiter.resume(throwing: error)
                    }
                }
            }
        }
        if case .error(let status) = result.result {
            throw RPCError(RPCCore.StatusCode(rawValue: UInt8(clamping: status.code.rawValue)) ?? .unknown, status.message)
        }
    }

    private func deliver(_ result: SignResult) {
        waiting.withLock { $0.removeValue(forKey: result.requestId) }?.resume(returning: result)
    }

    private func failAll(_ error: any Error) {
        let all = waiting.withLock { state -> [CheckedContinuation<SignResult, any Error>] in
            defer { state.removeAll() }
            return Array(state.values)
        }
        all.forEach { $0.resume(throwing: error) }
    }
}
