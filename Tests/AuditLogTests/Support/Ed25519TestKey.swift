// A real asymmetric audit key for tests: Ed25519 through OpenSSL (the service will use an
// HSM-held key through the same protocols). The raw public key feeds the Python cross-check.

import AuditLog
import COpenSSL

/// An Ed25519 key pair that signs and verifies checkpoints under one name and version.
final class Ed25519TestKey: CheckpointSigner, CheckpointVerifier, @unchecked Sendable {
    // EVP_PKEY is only read after creation; OpenSSL allows concurrent signing with it.
    private let key: OpaquePointer
    let name: String
    let version: UInt32

    init(name: String = "audit-key", version: UInt32 = 1) {
        let context = EVP_PKEY_CTX_new_from_name(nil, "ED25519", nil)
        defer { EVP_PKEY_CTX_free(context) }
        var generated: OpaquePointer?
        guard let context, EVP_PKEY_keygen_init(context) == 1, EVP_PKEY_generate(context, &generated) == 1,
              let generated else { fatalError("OpenSSL could not generate an Ed25519 key") }
        key = generated
        self.name = name
        self.version = version
    }

    deinit { EVP_PKEY_free(key) }

    /// The 32-byte raw public key.
    var publicKey: [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length = 32
        _ = EVP_PKEY_get_raw_public_key(key, &out, &length)
        return out
    }

    func sign(_ message: [UInt8]) async throws -> (signature: [UInt8], keyName: String, keyVersion: UInt32) {
        guard let context = EVP_MD_CTX_new() else { throw TestFailure("EVP_MD_CTX_new failed") }
        defer { EVP_MD_CTX_free(context) }
        var signature = [UInt8](repeating: 0, count: 64)
        var length = 64
        guard EVP_DigestSignInit(context, nil, nil, nil, key) == 1,
              EVP_DigestSign(context, &signature, &length, message, message.count) == 1 else {
            throw TestFailure("Ed25519 signing failed")
        }
        return (signature, name, version)
    }

    func verify(signature: [UInt8], message: [UInt8], keyName: String, keyVersion: UInt32) -> Bool {
        guard keyName == name, keyVersion == version, let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        return EVP_DigestVerifyInit(context, nil, nil, nil, key) == 1
            && EVP_DigestVerify(context, signature, signature.count, message, message.count) == 1
    }
}

/// A signer that always fails, for checkpoint-failure paths.
struct FailingSigner: CheckpointSigner {
    func sign(_ message: [UInt8]) async throws -> (signature: [UInt8], keyName: String, keyVersion: UInt32) {
        throw TestFailure("HSM unreachable")
    }
}

/// A plain error for test helpers.
struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
