// The CryptoService handlers: AES-256-GCM with associated data under HSM keys (the IV is made
// inside the HSM), and data keys for envelope encryption. Plaintext leaves only after the
// operation's audit record is durable, as signatures do.

import Foundation
import HSMScheduler
import KeyRegistry
import PersonaProtos
import PKCS11
import RPCCore
import SoftCrypto

/// Implements `persona.hsm.v1.CryptoService`.
public struct CryptoService: CryptoServiceHandler {
    let environment: ServiceEnvironment

    public init(environment: ServiceEnvironment) {
        self.environment = environment
    }

    public func encrypt(_ request: EncryptRequest, context: ServerContext) async throws -> EncryptResponse {
        let (record, version, reference) = try resolve(request.keyName, version: 0, credentialID: request.credentialId,
                                                       context: context, forEncryption: true)
        guard request.plaintext.count <= environment.limits.maxPlaintextBytes else {
            throw RPCError(.invalidArgument, "plaintext is \(request.plaintext.count) bytes; the limit is "
                           + "\(environment.limits.maxPlaintextBytes)")
        }
        if case .plaintextCrc32c(let expected) = request.plaintextChecksum, CRC32C.checksum(request.plaintext) != expected {
            throw RPCError(.dataLoss, "plaintext_crc32c does not match the plaintext received",
                           details: ErrorDetails(reason: "CHECKSUM_MISMATCH", subject: "plaintext_crc32c"))
        }
        try environment.health.requireHSM()
        let operation: HSMOperation = request.credentialId.isEmpty
            ? .encrypt(plaintext: request.plaintext, aad: request.associatedData)
            : .encryptDerived(plaintext: request.plaintext, aad: request.associatedData,
                              credentialID: Array(request.credentialId.utf8))
        let result = try await mapped {
            try await environment.scheduler.perform(operation, key: reference, client: context.peer.name,
                                                    deadline: context.deadline)
        }
        guard case .sealed(let box) = result else { throw RPCError(.internal, "the HSM returned no ciphertext") }
        let ciphertext = box.ciphertext + box.tag
        try await environment.audit.recordDurably(context, keyName: record.name, version: version.version,
                                                  requestDigest: SHA256.hash(request.associatedData), outcome: .ok,
                                                  extra: ["ciphertext_sha256": SHA256.hash(ciphertext).hexString])
        return EncryptResponse(keyName: record.name, version: version.version, iv: box.iv, ciphertext: ciphertext,
                               ciphertextCrc32c: CRC32C.checksum(ciphertext))
    }

    public func decrypt(_ request: DecryptRequest, context: ServerContext) async throws -> DecryptResponse {
        let (record, version, reference) = try resolve(request.keyName, version: request.version,
                                                       credentialID: request.credentialId, context: context,
                                                       forEncryption: false)
        guard request.iv.count == 12 else {
            throw RPCError(.invalidArgument, "iv must be 12 bytes, got \(request.iv.count)")
        }
        guard request.ciphertext.count >= 16 else {
            throw RPCError(.invalidArgument, "ciphertext must end with the 16-byte tag")
        }
        try environment.health.requireHSM()
        let box = GCMSealedBox(iv: request.iv, ciphertext: Array(request.ciphertext.dropLast(16)),
                               tag: Array(request.ciphertext.suffix(16)))
        let operation: HSMOperation = request.credentialId.isEmpty
            ? .decrypt(box: box, aad: request.associatedData)
            : .decryptDerived(box: box, aad: request.associatedData, credentialID: Array(request.credentialId.utf8))
        let result: HSMResult
        do {
            result = try await mapped {
                try await environment.scheduler.perform(operation, key: reference, client: context.peer.name,
                                                        deadline: context.deadline)
            }
        } catch let error as RPCError where error.code == .invalidArgument {
            // The token refuses a GCM tag that does not authenticate; say what that means.
            throw RPCError(.invalidArgument, "decryption failed: the tag does not authenticate this ciphertext, iv and "
                           + "associated data under \(record.name) version \(version.version) (wrong associated data, "
                           + "wrong key, version or credential_id, or altered ciphertext)",
                           details: ErrorDetails(reason: "DECRYPTION_FAILED", subject: "ciphertext"))
        }
        guard case .plaintext(let plaintext) = result else { throw RPCError(.internal, "the HSM returned no plaintext") }
        try await environment.audit.recordDurably(context, keyName: record.name, version: version.version,
                                                  requestDigest: SHA256.hash(request.ciphertext), outcome: .ok)
        return DecryptResponse(plaintext: plaintext, plaintextCrc32c: CRC32C.checksum(plaintext))
    }

    public func generateDataKey(_ request: GenerateDataKeyRequest, context: ServerContext) async throws
        -> GenerateDataKeyResponse
    {
        let dataKey = try mapped { try SecureRandom.bytes(32) }
        let wrapped = try await encrypt(EncryptRequest(keyName: request.keyName, plaintext: dataKey,
                                                       associatedData: request.associatedData,
                                                       credentialId: request.credentialId), context: context)
        return GenerateDataKeyResponse(plaintextKey: request.withoutPlaintext ? [] : dataKey, wrappedKey: wrapped)
    }

    /// Longest credential id (bytes of UTF-8) a per-credential key is derived from.
    static let maxCredentialIDBytes = 256

    /// An ENCRYPT_DECRYPT key without credential_id, or a DERIVE master key with one.
    static func checkPurpose(_ record: KeyRecord, credentialID: String) throws {
        switch record.purpose {
        case .encryptDecrypt:
            guard credentialID.isEmpty else {
                throw RPCError(.invalidArgument, "credential_id needs a DERIVE master key; \(record.name) is an "
                               + "encryption key", details: ErrorDetails(reason: "CREDENTIAL_ID_NOT_APPLICABLE",
                                                                        subject: "credential_id"))
            }
        case .derive:
            guard !credentialID.isEmpty else {
                throw RPCError(.invalidArgument, "key \(record.name) is a DERIVE master key: set credential_id",
                               details: ErrorDetails(reason: "CREDENTIAL_ID_REQUIRED", subject: "credential_id"))
            }
            guard credentialID.utf8.count <= maxCredentialIDBytes else {
                throw RPCError(.invalidArgument, "credential_id is \(credentialID.utf8.count) bytes; the limit is "
                               + "\(maxCredentialIDBytes)", details: ErrorDetails(reason: "CREDENTIAL_ID_TOO_LONG",
                                                                               subject: "credential_id"))
            }
        default:
            throw RPCError(.failedPrecondition, "key \(record.name) is a \(record.purpose.rawValue) key, not an "
                           + "encryption key", details: ErrorDetails(reason: "WRONG_KEY_PURPOSE"))
        }
    }

    private func resolve(_ name: String, version number: UInt32, credentialID: String, context: ServerContext,
                         forEncryption: Bool) throws -> (KeyRecord, KeyVersionRecord, KeyReference) {
        try environment.authorizer.authorizeKey(context, keyName: name)
        return try mapped {
            let record = try environment.registry.key(name)
            try Self.checkPurpose(record, credentialID: credentialID)
            let version = forEncryption ? try record.versionForPrivateOperation(0)
                : try record.versionsForPublicOperation(number == 0 ? record.primaryVersion : number)[0]
            return (record, version, KeyReference(id: try KeyRegistry.id(fromHex: version.hsmID)))
        }
    }
}
