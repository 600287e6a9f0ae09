// The SigningService handlers: unary, batch (per-item results, items run concurrently so the
// scheduler batches them and the audit log group-commits them), verify, and the bidirectional
// stream for continuous high-volume signing.

import Foundation
import KeyRegistry
import PersonaProtos
import RPCCore
import SoftCrypto

/// Implements `persona.hsm.v1.SigningService`.
public struct SigningService: SigningServiceHandler {
    let environment: ServiceEnvironment
    var engine: SigningEngine { SigningEngine(environment: environment) }

    public init(environment: ServiceEnvironment) {
        self.environment = environment
    }

    public func sign(_ request: SignRequest, context: ServerContext) async throws -> SignResponse {
        try await engine.sign(request, context: context, callKey: context.idempotencyKey)
    }

    public func signBatch(_ request: SignBatchRequest, context: ServerContext) async throws -> SignBatchResponse {
        try checkBatchSize(request.requests.count)
        environment.metrics.histogram("personahsm_sign_batch_size", help: "Items per SignBatch",
                                      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024])
            .observe(Double(request.requests.count))
        let engine = self.engine
        var results = [SignResult?](repeating: nil, count: request.requests.count)
        await withTaskGroup(of: (Int, SignResult).self) { group in
            for (index, item) in request.requests.enumerated() {
                group.addTask {
                    (index, await Self.result(of: { try await engine.sign(item, context: context, awaitedAlone: false) },
                                              index: index, requestID: item.requestId))
                }
            }
            for await (index, result) in group { results[index] = result }
        }
        return SignBatchResponse(results: results.map { $0! })
    }

    public func verify(_ request: VerifyRequest, context: ServerContext) async throws -> VerifyResponse {
        try verifyOne(request, context: context)
    }

    public func verifyBatch(_ request: VerifyBatchRequest, context: ServerContext) async throws -> VerifyBatchResponse {
        try checkBatchSize(request.requests.count)
        return VerifyBatchResponse(results: request.requests.enumerated().map { index, item in
            do {
                return VerifyResult(result: .response(try verifyOne(item, context: context)), requestId: item.requestId,
                                    index: UInt32(index))
            } catch {
                return VerifyResult(result: .error(RPCError(mapping: error).callStatus), requestId: item.requestId,
                                    index: UInt32(index))
            }
        })
    }

    public func signStream(_ requests: AsyncThrowingMapSequence<RawRequestStream, SignRequest>,
                           writer: ResponseWriter<SignResult>, context: ServerContext) async throws {
        let engine = self.engine
        // Items are signed concurrently and each result is written as soon as it is ready; a
        // bounded window keeps one stream from queueing unlimited work.
        let (results, sink) = AsyncStream.makeStream(of: SignResult.self)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await result in results { try await writer.write(result) }
            }
            do {
                try await withThrowingTaskGroup(of: Void.self) { signers in
                    var inFlight = 0
                    var index = 0
                    for try await item in requests {
                        if inFlight >= 256 {
                            try await signers.next()
                            inFlight -= 1
                        }
                        let position = index
                        signers.addTask {
                            sink.yield(await Self.result(of: { try await engine.sign(item, context: context) },
                                                         index: position, requestID: item.requestId))
                        }
                        inFlight += 1
                        index += 1
                    }
                    try await signers.waitForAll()
                }
            } catch {
                sink.finish()
                throw error
            }
            sink.finish()
            try await group.waitForAll()
        }
    }

    private func checkBatchSize(_ count: Int) throws {
        guard count > 0 else {
            throw RPCError(.invalidArgument, "the batch is empty", details: ErrorDetails(reason: "EMPTY_BATCH"))
        }
        guard count <= environment.limits.maxBatchItems else {
            throw RPCError(.invalidArgument, "the batch has \(count) items; the limit is \(environment.limits.maxBatchItems)",
                           details: ErrorDetails(reason: "BATCH_TOO_LARGE"))
        }
    }

    static func result(of operation: () async throws -> SignResponse, index: Int, requestID: String) async -> SignResult {
        do {
            return SignResult(result: .response(try await operation()), requestId: requestID, index: UInt32(index))
        } catch {
            return SignResult(result: .error(RPCError(mapping: error).callStatus), requestId: requestID,
                              index: UInt32(index))
        }
    }

    /// Verification uses cached public keys only, so it keeps working when no HSM is reachable.
    private func verifyOne(_ request: VerifyRequest, context: ServerContext) throws -> VerifyResponse {
        try environment.authorizer.authorizeKey(context, keyName: request.keyName)
        let record = try environment.registry.key(request.keyName)
        guard let scheme = record.algorithm.verificationAlgorithm else {
            throw RPCError(.failedPrecondition, "key \(request.keyName) is not a signing key",
                           details: ErrorDetails(reason: "WRONG_KEY_PURPOSE"))
        }
        let algorithm: SignatureAlgorithm = request.encoding == .der && record.algorithm == .ecdsaP256SHA256
            ? .ecdsaP256SHA256(.der) : scheme
        for version in try record.versionsForPublicOperation(request.version) {
            let publicKey = try environment.registry.publicKey(name: record.name, version: version)
            let valid: Bool
            switch request.input {
            case .data(let data): valid = try publicKey.isValidSignature(request.signature, for: data, algorithm: algorithm)
            case .digestSha256(let digest):
                guard record.algorithm != .ed25519 else {
                    throw RPCError(.invalidArgument, "Ed25519 verifies the message itself; send data")
                }
                guard digest.count == 32 else {
                    throw RPCError(.invalidArgument, "digest_sha256 must be 32 bytes, got \(digest.count)",
                                   details: ErrorDetails(reason: "MALFORMED_DIGEST", subject: "digest_sha256"))
                }
                valid = try publicKey.isValidSignature(request.signature, forDigest: digest, algorithm: algorithm)
            case nil: throw RPCError(.invalidArgument, "set data (or digest_sha256) to verify")
            }
            if valid { return VerifyResponse(valid: true, version: version.version, requestId: request.requestId) }
        }
        return VerifyResponse(valid: false, version: 0, requestId: request.requestId)
    }
}
