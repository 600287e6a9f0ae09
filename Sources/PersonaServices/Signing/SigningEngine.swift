// Signs one item end to end: authorisation for the key, state and input checks, the HSM call
// through the scheduler, a software verification of the signature before it may leave, and a
// durable audit record. Unary, batch and stream calls all go through here, so they behave alike.

import Foundation
import HSMScheduler
import KeyRegistry
import PersonaProtos
import PKCS11
import RPCCore
import SoftCrypto

struct SigningEngine: Sendable {
    let environment: ServiceEnvironment

    /// Signs `request`, honouring its idempotency key (or the call's, for unary Sign).
    /// `awaitedAlone`: false for the items of a SignBatch, whose results leave together (see
    /// `HSMScheduler.sign`).
    func sign(_ request: SignRequest, context: ServerContext, callKey: String? = nil,
              awaitedAlone: Bool = true) async throws -> SignResponse {
        let key = request.idempotencyKey.isEmpty ? callKey : request.idempotencyKey
        guard let key, !key.isEmpty else { return try await signOnce(request, context: context, awaitedAlone: awaitedAlone) }
        let scoped = "\(context.peer.name)|\(request.keyName)|\(key)"
        var canonical = request
        canonical.requestId = ""
        let digest = SHA256.hash(canonical.serializedBytes())
        return try await environment.signResults.run(key: scoped, digest: digest) {
            guard let shared = environment.sharedSignResults else {
                return try await signOnce(request, context: context, awaitedAlone: awaitedAlone)
            }
            if let replay = try await sharedReplay(key: scoped, digest: digest, request: request, context: context,
                                                   shared: shared) {
                return replay
            }
            let response = try await signOnce(request, context: context, awaitedAlone: awaitedAlone)
            await persistShared(key: scoped, digest: digest, response: response, shared: shared)
            return response
        }.with(requestID: request.requestId)
    }

    private func signOnce(_ request: SignRequest, context: ServerContext, awaitedAlone: Bool) async throws -> SignResponse {
        try context.checkAlive()
        if case .digestSha256(let digest) = request.input {
            return try await signDigestOnce(request, digest: digest, context: context, awaitedAlone: awaitedAlone)
        }
        try environment.authorizer.authorizeKey(context, keyName: request.keyName)
        let record = try environment.registry.key(request.keyName)
        guard record.purpose == .signVerify, let mechanism = record.algorithm.signatureMechanism,
              let verification = record.algorithm.verificationAlgorithm else {
            throw RPCError(.failedPrecondition, "key \(request.keyName) is a \(record.purpose.rawValue) key and cannot sign",
                           details: ErrorDetails(reason: "WRONG_KEY_PURPOSE"))
        }
        let version = try record.versionForPrivateOperation(request.version)
        let message = try input(of: request, algorithm: record.algorithm)
        let wantsDER = try ecdsaEncoding(request.encoding, algorithm: record.algorithm)
        var verifiedChecksum = false
        if case .inputCrc32c(let expected) = request.inputChecksum {
            guard CRC32C.checksum(message) == expected else {
                throw RPCError(.dataLoss, "input_crc32c does not match the data received",
                               details: ErrorDetails(reason: "CHECKSUM_MISMATCH", subject: "input_crc32c"))
            }
            verifiedChecksum = true
        }
        try environment.health.requireHSM()
        let started = ContinuousClock.now
        let signature = try await environment.scheduler.sign(
            message, key: KeyReference(id: try KeyRegistry.id(fromHex: version.hsmID)), mechanism: mechanism,
            ecdsaFormat: wantsDER ? .der : .raw, client: context.peer.name, deadline: context.deadline,
            awaitedAlone: awaitedAlone)
        environment.metrics.histogram("personahsm_hsm_sign_seconds", help: "HSM sign latency by algorithm",
                                      labels: ["algorithm": record.algorithm.rawValue])
            .observe(ContinuousClock.now - started)
        let digest = SHA256.hash(message)
        let publicKey = try environment.registry.publicKey(name: record.name, version: version)
        let scheme: SignatureAlgorithm = wantsDER ? .ecdsaP256SHA256(.der) : verification
        guard (try? publicKey.isValidSignature(signature, for: message, algorithm: scheme)) == true else {
            environment.metrics.counter("personahsm_signature_self_check_failures_total",
                                        help: "Signatures from the HSM that did not verify").increment()
            environment.audit.record(context, keyName: record.name, version: version.version, requestDigest: digest,
                                     outcome: .internal, message: "HSM signature failed verification")
            environment.logger.error("HSM returned a signature that does not verify",
                                     ["key": .string(record.name), "version": .int(Int64(version.version))])
            throw RPCError(.internal, "the HSM returned a signature that does not verify; nothing was returned")
        }
        try await environment.audit.recordDurably(context, keyName: record.name, version: version.version,
                                                  requestDigest: digest, outcome: .ok,
                                                  extra: ["signature_sha256": SHA256.hash(signature).hexString])
        return SignResponse(keyName: record.name, version: version.version, algorithm: record.algorithm.wire,
                            signature: signature, verifiedInputCrc32c: verifiedChecksum,
                            signatureCrc32c: CRC32C.checksum(signature), requestId: request.requestId,
                            verificationMethod: version.didKey.map { did in
                                did + "#" + did.dropFirst("did:key:".count)
                            } ?? "")
    }

    private func input(of request: SignRequest, algorithm: KeyAlgorithm) throws -> [UInt8] {
        switch request.input {
        case .data(let data):
            guard data.count <= environment.limits.maxSignInputBytes else {
                throw RPCError(.invalidArgument, "data is \(data.count) bytes; the limit is \(environment.limits.maxSignInputBytes)")
            }
            return data
        case .digestSha256(let digest):
            guard algorithm != .ed25519 else {
                throw RPCError(.invalidArgument, "Ed25519 signs the message itself; send data, not digest_sha256")
            }
            guard digest.count == 32 else {
                throw RPCError(.invalidArgument, "digest_sha256 must be 32 bytes, got \(digest.count)",
                               details: ErrorDetails(reason: "MALFORMED_DIGEST", subject: "digest_sha256"))
            }
            return digest  // signed by signDigestOnce (SigningEngine+Digest.swift)
        case nil:
            throw RPCError(.invalidArgument, "set data (or digest_sha256) to sign")
        }
    }

    /// Whether an ECDSA signature is wanted in DER; rejects encodings that do not fit the key.
    private func ecdsaEncoding(_ encoding: SignatureEncoding, algorithm: KeyAlgorithm) throws -> Bool {
        switch encoding {
        case .default: return false
        case .rawRS, .der:
            guard algorithm == .ecdsaP256SHA256 else {
                throw RPCError(.invalidArgument, "encoding RAW_R_S/DER applies to ECDSA keys only")
            }
            return encoding == .der
        default: throw RPCError(.invalidArgument, "unknown signature encoding \(encoding.rawValue)")
        }
    }
}

extension SignResponse {
    func with(requestID: String) -> SignResponse {
        var copy = self
        copy.requestId = requestID
        return copy
    }
}
