// did:key for Ed25519 (W3C CCG did:key v0.7): the DID is `did:key:` + multibase base58btc of the
// multicodec `ed25519-pub` prefix (varint 0xed → bytes ED 01) and the 32-byte key, so it always
// starts `did:key:z6Mk`. The key IS the identifier: resolving needs no network, and a rotated key
// is a new DID (which is why KeyRegistry keeps old versions verify-only). Parsing is strict and
// every way of being wrong has its own error code.

import SoftCrypto

/// An Ed25519 did:key identifier and its key.
public struct DIDKey: Sendable, Hashable, CustomStringConvertible {
    /// The public key the DID encodes.
    public let publicKey: PublicKey
    /// The multibase key, `z6Mk…` (the method-specific id).
    public let multibaseKey: String

    /// The DID, `did:key:z6Mk…`.
    public var did: String { "did:key:" + multibaseKey }

    /// The verification method id, `did:key:z6Mk…#z6Mk…` (the JWS `kid`, the proof's verificationMethod).
    public var verificationMethodID: String { did + "#" + multibaseKey }

    public var description: String { did }

    /// The did:key of an Ed25519 public key.
    ///
    /// - Throws: ``CredentialError/Code/wrongCodec`` for any other key kind.
    public init(publicKey: PublicKey) throws(CredentialError) {
        guard publicKey.kind == .ed25519, let raw = publicKey.rawRepresentation else {
            throw CredentialError(.wrongCodec, "did:key here supports Ed25519 keys only, got \(publicKey.kind)")
        }
        self.publicKey = publicKey
        multibaseKey = Multibase.encodeBase58BTC(Multicodec.encodeVarint(Multicodec.ed25519PublicKey) + raw)
    }

    /// The did:key of a raw 32-byte Ed25519 public key.
    public init(ed25519Raw raw: [UInt8]) throws(CredentialError) {
        guard raw.count == 32 else {
            throw CredentialError(.wrongKeyLength, "an Ed25519 public key is 32 bytes, got \(raw.count)")
        }
        do {
            try self.init(publicKey: PublicKey(ed25519Raw: raw))
        } catch let error as CredentialError {
            throw error
        } catch {
            throw CredentialError(.wrongKeyLength, "not an Ed25519 public key", cause: error)
        }
    }

    /// Parses `did:key:z6Mk…`.
    ///
    /// - Throws: ``CredentialError/Code/notDIDKey`` (other method, path, query, fragment, empty
    ///   id), ``CredentialError/Code/wrongMultibasePrefix``, ``CredentialError/Code/invalidBase58``,
    ///   ``CredentialError/Code/invalidVarint``, ``CredentialError/Code/wrongCodec``,
    ///   ``CredentialError/Code/wrongKeyLength``.
    public init(did: String) throws(CredentialError) {
        let prefix = "did:key:"
        guard did.utf8.starts(with: prefix.utf8) else {
            throw CredentialError(.notDIDKey, "\"\(did.prefix(40))\" is not a did:key identifier")
        }
        let identifier = String(did.utf8.dropFirst(prefix.utf8.count))!
        guard !identifier.isEmpty, !identifier.utf8.contains(where: { [":", "/", "?", "#"].map { UInt8(ascii: $0) }.contains($0) }) else {
            throw CredentialError(.notDIDKey, "a did:key identifier is one multibase value without path, query or fragment")
        }
        try self.init(multibaseKey: identifier)
    }

    /// Parses a verification method id `did:key:X#X`, requiring the fragment to be the key itself.
    ///
    /// - Throws: as ``init(did:)``, plus ``CredentialError/Code/invalidVerificationMethod`` when the
    ///   fragment is missing or differs from the multibase key.
    public init(verificationMethod: String) throws(CredentialError) {
        guard let hash = verificationMethod.utf8.firstIndex(of: UInt8(ascii: "#")) else {
            throw CredentialError(.invalidVerificationMethod, "verification method \"\(verificationMethod.prefix(60))\" has no #fragment")
        }
        let didPart = String(verificationMethod.utf8[..<hash])!
        let fragment = String(verificationMethod.utf8[verificationMethod.utf8.index(after: hash)...])!
        try self.init(did: didPart)
        guard scalarsEqual(fragment, multibaseKey) else {
            throw CredentialError(.invalidVerificationMethod,
                                  "the fragment of a did:key verification method must be the key itself (\(multibaseKey))")
        }
    }

    /// Parses the multibase key `z6Mk…` (also a Multikey `publicKeyMultibase`).
    public init(multibaseKey: String) throws(CredentialError) {
        let decoded = try Multibase.decodeBase58BTC(multibaseKey)
        let (codec, length) = try Multicodec.decodeVarint(decoded)
        guard codec == Multicodec.ed25519PublicKey else {
            throw CredentialError(.wrongCodec, "multicodec 0x\(String(codec, radix: 16)) is not ed25519-pub (0xed)")
        }
        let raw = Array(decoded[length...])
        try self.init(ed25519Raw: raw)
        guard scalarsEqual(self.multibaseKey, multibaseKey) else {
            // Unreachable for valid base58 (its encoding is unique) but cheap insurance.
            throw CredentialError(.notDIDKey, "non-canonical did:key encoding")
        }
    }

    public static func == (lhs: DIDKey, rhs: DIDKey) -> Bool { scalarsEqual(lhs.multibaseKey, rhs.multibaseKey) }
    public func hash(into hasher: inout Hasher) { hasher.combine(ScalarKey(multibaseKey)) }
}
