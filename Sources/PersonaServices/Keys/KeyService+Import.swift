// ImportKey and the import key's public half. A client fetches the import key with GetPublicKey
// on the reserved name `personahsm-import-key`, wraps its PKCS#8 private key as
// CKM_RSA_AES_KEY_WRAP (RSA-OAEP-SHA256 of a fresh AES-256 key, then AES-KWP of the PKCS#8) and
// sends `wrapped_pkcs8`; the token unwraps it, so the private key is never in the clear in the
// server. `plaintext_pkcs8` exists for known-answer tests and is refused unless the server runs in
// dev mode. The shipped policy gives ImportKey to the admin role only.

import Foundation
import KeyRegistry
import PersonaProtos
import RPCCore
import SoftCrypto

extension KeyService {
    /// The reserved key name whose public key is the server's import key.
    public static let importKeyName = "personahsm-import-key"
    /// The shortest wrapped_pkcs8 that could unwrap: RSA-3072 OAEP (384 bytes) + two AES-KWP blocks.
    static let minimumWrappedLength = 384 + 16

    public func importKey(_ request: ImportKeyRequest, context: ServerContext) async throws -> Key {
        try environment.authorizer.authorizeKey(context, keyName: request.name)
        guard request.name != Self.importKeyName else {
            throw RPCError(.invalidArgument, "\(Self.importKeyName) is reserved for the server's import key",
                           details: ErrorDetails(reason: "RESERVED_KEY_NAME", subject: "name"))
        }
        let algorithm = try KeyAlgorithm(wire: request.algorithm)
        let purpose: KeyRecord.Purpose = request.purpose == .unspecified ? .signVerify
            : try KeyRecord.Purpose(wire: request.purpose)
        let material: ImportedKeyMaterial
        switch request.material {
        case .wrappedPkcs8(let wrapped):
            guard !wrapped.isEmpty else { throw RPCError(.invalidArgument, "wrapped_pkcs8 is empty") }
            // Malformed whatever the server's state: the import key is RSA-3072 (a 384-byte OAEP
            // part) and AES-KWP output is at least two 8-byte blocks.
            guard wrapped.count >= Self.minimumWrappedLength else {
                throw RPCError(.invalidArgument, "wrapped_pkcs8 of \(wrapped.count) bytes is too short: it is the "
                               + "384-byte RSA-OAEP part followed by at least 16 bytes of AES-KWP",
                               details: ErrorDetails(reason: "WRAPPED_KEY_TOO_SHORT", subject: "wrapped_pkcs8"))
            }
            material = .wrappedPKCS8(wrapped)
        case .plaintextPkcs8(let der):
            guard environment.limits.devMode else {
                throw RPCError(.failedPrecondition, "plaintext_pkcs8 is accepted by dev-mode servers only; wrap the key "
                               + "under the import key (GetPublicKey \(Self.importKeyName)) and send wrapped_pkcs8",
                               details: ErrorDetails(reason: "PLAINTEXT_IMPORT_DISABLED", subject: "plaintext_pkcs8"))
            }
            guard !der.isEmpty else { throw RPCError(.invalidArgument, "plaintext_pkcs8 is empty") }
            material = .plaintextPKCS8(der)
        case nil:
            throw RPCError(.invalidArgument, "set wrapped_pkcs8 (or, in dev mode, plaintext_pkcs8)",
                           details: ErrorDetails(reason: "NO_KEY_MATERIAL"))
        }
        try environment.health.requireHSM()
        return try await mapped {
            try await registry.importKey(name: request.name, purpose: purpose, algorithm: algorithm, material: material,
                                         labels: request.labels).wire
        }
    }

    /// GetPublicKey for the import key: SPKI (DER or PEM) or JWK of the RSA-3072 key.
    func importPublicKey(_ request: GetPublicKeyRequest) async throws -> PersonaProtos.PublicKey {
        guard request.version <= 1 else {
            throw RPCError(.notFound, "the import key has only version 1")
        }
        try environment.health.requireHSM()
        let spki = try await mapped { try await registry.importPublicKeySPKI() }
        let key = try mapped { try SoftCrypto.PublicKey(spkiDER: spki) }
        let format = request.format == .unspecified ? .spkiDer : request.format
        guard format != .raw else {
            throw RPCError(.invalidArgument, "RAW is defined for Ed25519 and P-256 keys only; the import key is RSA")
        }
        return PersonaProtos.PublicKey(name: Self.importKeyName, version: 1, algorithm: .unspecified, format: format,
                                       data: try encode(key, format), didKey: "")
    }
}
