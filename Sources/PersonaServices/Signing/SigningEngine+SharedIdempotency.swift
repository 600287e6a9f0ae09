// Keyed signing across server instances: before signing a key this instance has not seen, ask the
// shared records whether another instance already answered it, and after signing, persist the
// answer before it leaves. A replayed answer is checked like a fresh one: the caller must still be
// allowed to use the key, and the signature must verify for this request under the key's public
// key, so a record that was altered on the token can never make us return a wrong signature. When
// the shared-state token cannot be reached, signing goes on per instance (logged and counted).

import Foundation
import KeyRegistry
import PersonaProtos
import RPCCore
import SoftCrypto

extension SigningEngine {
    /// Another instance's answer to the same keyed request, or nil when there is none.
    /// - Throws: INVALID_ARGUMENT when another instance answered the key for a different request.
    func sharedReplay(key: String, digest: [UInt8], request: SignRequest, context: ServerContext,
                      shared: SharedIdempotencyRecords) async throws -> SignResponse? {
        let found: SharedIdempotencyRecord?
        do { found = try await shared.lookup(key) } catch {
            sharedFailure("read", error)
            return nil
        }
        guard let found else { return nil }
        guard found.digest == digest else {
            throw RPCError(.invalidArgument, "idempotency key \(key) was already used with a different request")
        }
        try environment.authorizer.authorizeKey(context, keyName: request.keyName)
        guard let response = try? SignResponse(serializedBytes: found.response), response.keyName == request.keyName,
              (try? verifies(response, request)) == true else {
            environment.logger.error("a shared idempotency record does not verify; signing anew", ["key": .string(key)])
            environment.metrics.counter("personahsm_shared_idempotency_rejected_total",
                                        help: "Shared idempotency records that failed verification").increment()
            return nil
        }
        environment.metrics.counter("personahsm_shared_idempotency_replays_total",
                                    help: "Keyed sign calls answered from another instance's record").increment()
        environment.audit.record(context, keyName: response.keyName, version: response.version, requestDigest: digest,
                                 outcome: .ok, message: "idempotent replay of another instance's signature",
                                 extra: ["idempotent_replay": "shared",
                                         "replayed_signature": SHA256.hash(response.signature).hexString])
        return response
    }

    /// Persists a first answer for the other instances; returns once it is on the token (or failed).
    func persistShared(key: String, digest: [UInt8], response: SignResponse, shared: SharedIdempotencyRecords) async {
        var stored = response
        stored.requestId = ""
        do { try await shared.persist(key: key, digest: digest, response: stored.serializedBytes()) } catch {
            sharedFailure("write", error)
        }
    }

    private func verifies(_ response: SignResponse, _ request: SignRequest) throws -> Bool {
        let record = try environment.registry.key(request.keyName)
        guard let scheme = record.algorithm.verificationAlgorithm,
              let version = try record.versionsForPublicOperation(response.version).first else { return false }
        let publicKey = try environment.registry.publicKey(name: record.name, version: version)
        let algorithm: SignatureAlgorithm = request.encoding == .der && record.algorithm == .ecdsaP256SHA256
            ? .ecdsaP256SHA256(.der) : scheme
        switch request.input {
        case .data(let data): return try publicKey.isValidSignature(response.signature, for: data, algorithm: algorithm)
        case .digestSha256(let digest):
            return try publicKey.isValidSignature(response.signature, forDigest: digest, algorithm: algorithm)
        case nil: return false
        }
    }

    private func sharedFailure(_ what: String, _ error: any Error) {
        environment.metrics.counter("personahsm_shared_idempotency_failures_total",
                                    help: "Shared idempotency reads and writes that failed", labels: ["op": what])
            .increment()
        environment.logger.warning("shared idempotency \(what) failed; this call is deduplicated per instance only",
                                   ["error": .string("\(error)")])
    }
}
