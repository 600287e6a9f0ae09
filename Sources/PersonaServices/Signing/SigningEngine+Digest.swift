// Signing a caller-computed SHA-256 digest (`digest_sha256`). The checks, the verify-before-return
// rule and the audit record are those of message signing; what differs is the HSM operation
// (raw mechanisms over the digest, see PKCS11 Session+DigestSigning) and the software check, which
// verifies the signature as a signature of the message behind the digest. Kept apart from the
// message path so that path stays as lean as its profile wants it.

import Foundation
import HSMScheduler
import KeyRegistry
import PersonaProtos
import PKCS11
import RPCCore
import SoftCrypto

extension SigningEngine {
    /// Signs the 32-byte `digest` of `request`; Ed25519 keys and other lengths are INVALID_ARGUMENT.
    func signDigestOnce(_ request: SignRequest, digest: [UInt8], context: ServerContext,
                        awaitedAlone: Bool = true) async throws -> SignResponse {
        try environment.authorizer.authorizeKey(context, keyName: request.keyName)
        let record = try environment.registry.key(request.keyName)
        guard record.purpose == .signVerify, let mechanism = record.algorithm.signatureMechanism,
              let verification = record.algorithm.verificationAlgorithm else {
            throw RPCError(.failedPrecondition, "key \(request.keyName) is a \(record.purpose.rawValue) key and cannot sign",
                           details: ErrorDetails(reason: "WRONG_KEY_PURPOSE"))
        }
        guard record.algorithm != .ed25519 else {
            throw RPCError(.invalidArgument, "Ed25519 signs the message itself; send data, not digest_sha256",
                           details: ErrorDetails(reason: "DIGEST_NOT_SUPPORTED", subject: "digest_sha256"))
        }
        guard digest.count == 32 else {
            throw RPCError(.invalidArgument, "digest_sha256 must be 32 bytes, got \(digest.count)",
                           details: ErrorDetails(reason: "MALFORMED_DIGEST", subject: "digest_sha256"))
        }
        let version = try record.versionForPrivateOperation(request.version)
        let wantsDER: Bool
        switch request.encoding {
        case .default: wantsDER = false
        case .rawRS, .der:
            guard record.algorithm == .ecdsaP256SHA256 else {
                throw RPCError(.invalidArgument, "encoding RAW_R_S/DER applies to ECDSA keys only")
            }
            wantsDER = request.encoding == .der
        default: throw RPCError(.invalidArgument, "unknown signature encoding \(request.encoding.rawValue)")
        }
        var verifiedChecksum = false
        if case .inputCrc32c(let expected) = request.inputChecksum {
            guard CRC32C.checksum(digest) == expected else {
                throw RPCError(.dataLoss, "input_crc32c does not match the digest received",
                               details: ErrorDetails(reason: "CHECKSUM_MISMATCH", subject: "input_crc32c"))
            }
            verifiedChecksum = true
        }
        try environment.health.requireHSM()
        let started = ContinuousClock.now
        let result = try await mapped {
            try await environment.scheduler.perform(
                .signDigest(digest: digest, mechanism: mechanism, ecdsaFormat: wantsDER ? .der : .raw),
                key: KeyReference(id: try KeyRegistry.id(fromHex: version.hsmID)), client: context.peer.name,
                deadline: context.deadline, awaitedAlone: awaitedAlone)
        }
        guard case .signature(let signature) = result else {
            throw RPCError(.internal, "the HSM returned no signature")
        }
        environment.metrics.histogram("personahsm_hsm_sign_seconds", help: "HSM sign latency by algorithm",
                                      labels: ["algorithm": record.algorithm.rawValue])
            .observe(ContinuousClock.now - started)
        let publicKey = try environment.registry.publicKey(name: record.name, version: version)
        let scheme: SignatureAlgorithm = wantsDER ? .ecdsaP256SHA256(.der) : verification
        guard (try? publicKey.isValidSignature(signature, forDigest: digest, algorithm: scheme)) == true else {
            environment.metrics.counter("personahsm_signature_self_check_failures_total",
                                        help: "Signatures from the HSM that did not verify").increment()
            environment.audit.record(context, keyName: record.name, version: version.version, requestDigest: digest,
                                     outcome: .internal, message: "HSM digest signature failed verification")
            environment.logger.error("HSM returned a digest signature that does not verify",
                                     ["key": .string(record.name), "version": .int(Int64(version.version))])
            throw RPCError(.internal, "the HSM returned a signature that does not verify; nothing was returned")
        }
        // The request digest of the audit record is the caller's digest: for message signing it is
        // SHA-256 of the message, so both paths record the same value for the same document.
        try await environment.audit.recordDurably(context, keyName: record.name, version: version.version,
                                                  requestDigest: digest, outcome: .ok,
                                                  extra: ["signature_sha256": SHA256.hash(signature).hexString,
                                                          "input": "digest_sha256"])
        return SignResponse(keyName: record.name, version: version.version, algorithm: record.algorithm.wire,
                            signature: signature, verifiedInputCrc32c: verifiedChecksum,
                            signatureCrc32c: CRC32C.checksum(signature), requestId: request.requestId,
                            verificationMethod: "")
    }
}
