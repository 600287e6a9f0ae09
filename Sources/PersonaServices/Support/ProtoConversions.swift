// Conversions between the registry's model and the wire messages.

import KeyRegistry
import PersonaProtos
import RPCCore

extension KeyAlgorithm {
    /// The registry algorithm for a wire value; INVALID_ARGUMENT for unspecified or unknown values.
    init(wire: Algorithm) throws {
        switch wire {
        case .ed25519: self = .ed25519
        case .ecdsaP256Sha256: self = .ecdsaP256SHA256
        case .rsa2048Pkcs1Sha256: self = .rsa2048PKCS1SHA256
        case .rsa3072Pkcs1Sha256: self = .rsa3072PKCS1SHA256
        case .rsa2048PssSha256: self = .rsa2048PSSSHA256
        case .rsa3072PssSha256: self = .rsa3072PSSSHA256
        case .aes256Gcm: self = .aes256GCM
        default: throw RPCError(.invalidArgument, "algorithm must be set to a supported value, not \(wire.rawValue)")
        }
    }

    var wire: Algorithm {
        switch self {
        case .ed25519: .ed25519
        case .ecdsaP256SHA256: .ecdsaP256Sha256
        case .rsa2048PKCS1SHA256: .rsa2048Pkcs1Sha256
        case .rsa3072PKCS1SHA256: .rsa3072Pkcs1Sha256
        case .rsa2048PSSSHA256: .rsa2048PssSha256
        case .rsa3072PSSSHA256: .rsa3072PssSha256
        case .aes256GCM: .aes256Gcm
        }
    }
}

extension KeyRecord.Purpose {
    init(wire: PersonaProtos.KeyPurpose) throws {
        switch wire {
        case .signVerify: self = .signVerify
        case .encryptDecrypt: self = .encryptDecrypt
        case .derive: self = .derive
        case .wrap: self = .wrap
        default: throw RPCError(.invalidArgument, "purpose must be set to a supported value, not \(wire.rawValue)")
        }
    }

    var wire: PersonaProtos.KeyPurpose {
        switch self {
        case .signVerify: .signVerify
        case .encryptDecrypt: .encryptDecrypt
        case .derive: .derive
        case .wrap: .wrap
        }
    }
}

extension KeyVersionState {
    var wire: KeyState {
        switch self {
        case .enabled: .enabled
        case .disabled: .disabled
        case .verifyOnly: .verifyOnly
        case .destructionScheduled: .destructionScheduled
        case .destroyed: .destroyed
        }
    }
}

extension KeyRecord {
    /// The wire view of this key.
    var wire: Key {
        Key(name: name, purpose: purpose.wire, algorithm: algorithm.wire, primaryVersion: primaryVersion,
            versions: versions.map { version in
                KeyVersion(version: version.version, state: version.state.wire, algorithm: algorithm.wire,
                           createdUnixMillis: version.createdMillis,
                           destroyAfterUnixMillis: version.destroyAfterMillis ?? 0, didKey: version.didKey ?? "",
                           backends: version.backends)
            },
            rotationPeriodSeconds: rotationPeriodSeconds, nextRotationUnixMillis: nextRotationMillis, labels: labels,
            createdUnixMillis: createdMillis)
    }
}
