// The seam between credential formats and whoever holds the key. In production the signer sends
// messages to the HSM service (thousands per batch); in tests it is an in-process key. Formats
// never see keys: they produce the exact bytes to sign and accept the signature back, so a
// caller can collect many signing inputs, sign them in one batch, and assemble afterwards.

import SoftCrypto

/// Signs credential signing inputs with an Ed25519 key named by a did:key verification method.
public protocol CredentialSigner: Sendable {
    /// The verification method of the signing key (`did:key:z6Mk…#z6Mk…`).
    var verificationMethod: String { get }

    /// Signs one message (pure Ed25519: the message itself, not a digest). Returns 64 bytes.
    func sign(_ message: [UInt8]) async throws -> [UInt8]

    /// Signs many messages, returning signatures in the same order. The default signs one at a
    /// time; HSM-backed signers override it with one batched request.
    func sign(batch messages: [[UInt8]]) async throws -> [[UInt8]]
}

extension CredentialSigner {
    public func sign(batch messages: [[UInt8]]) async throws -> [[UInt8]] {
        var signatures: [[UInt8]] = []
        signatures.reserveCapacity(messages.count)
        for message in messages { signatures.append(try await sign(message)) }
        return signatures
    }
}

/// A signer over an in-process Ed25519 key.
///
/// - Important: tests and development only; production keys live in the HSM.
public struct SoftwareCredentialSigner: CredentialSigner {
    /// The private key.
    public let key: SoftwareSigningKey
    /// The key's did:key.
    public let didKey: DIDKey

    /// Wraps an Ed25519 software key.
    ///
    /// - Throws: ``CredentialError/Code/wrongCodec`` for a non-Ed25519 key.
    public init(key: SoftwareSigningKey) throws(CredentialError) {
        guard key.kind == .ed25519 else { throw CredentialError(.wrongCodec, "credential signing keys are Ed25519") }
        self.key = key
        do {
            didKey = try DIDKey(publicKey: key.publicKey)
        } catch let error as CredentialError {
            throw error
        } catch {
            throw CredentialError(.signerFailed, "cannot derive the public key", cause: error)
        }
    }

    /// A signer with a fresh random key.
    public static func generate() throws -> SoftwareCredentialSigner {
        try SoftwareCredentialSigner(key: SoftwareSigningKey.generate(.ed25519))
    }

    public var verificationMethod: String { didKey.verificationMethodID }

    public func sign(_ message: [UInt8]) async throws -> [UInt8] { try key.sign(message) }
}

/// Checks a signature a signer returned before it is embedded in a credential: the length, and
/// (when `verify`) that it verifies under the verification method's key, so a faulty HSM or a
/// mixed-up batch can never produce a credential that fails later.
func checkedSignature(_ signature: [UInt8], message: [UInt8], key: DIDKey, verify: Bool) throws(CredentialError) {
    guard signature.count == 64 else {
        throw CredentialError(.wrongSignatureLength, "an Ed25519 signature is 64 bytes, the signer returned \(signature.count)")
    }
    guard verify else { return }
    let valid: Bool
    do {
        valid = try key.publicKey.isValidSignature(signature, for: message, algorithm: .ed25519)
    } catch {
        throw CredentialError(.invalidSignature, "signature check failed", cause: error)
    }
    guard valid else {
        throw CredentialError(.invalidSignature, "the signer's signature does not verify under \(key.verificationMethodID)")
    }
}
