// Signature verification in software. A signature that does not verify — including one that is
// malformed (wrong length, bad DER) — yields `false`: for a verifier both mean "not signed by this
// key". Errors are reserved for misuse: an algorithm that does not fit the key, or a digest of
// the wrong length.

import COpenSSL

extension PublicKey {
    /// Whether `signature` is a valid signature of `message` under this key.
    ///
    /// - Parameters:
    ///   - signature: the signature bytes in the encoding `algorithm` names.
    ///   - message: the signed message (hashed here with SHA-256 where the scheme hashes).
    ///   - algorithm: the scheme; it must fit the key kind.
    /// - Throws: ``CryptoError/Code/algorithmMismatch`` if `algorithm` does not fit the key.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8],
                                 algorithm: SignatureAlgorithm) throws(CryptoError) -> Bool {
        try requireFit(algorithm)
        guard let derOrRaw = normalizedSignature(signature, algorithm: algorithm) else { return false }
        if algorithm == .ed25519, let raw = rawRepresentation,
           Ed25519FastVerification.accepts(derOrRaw, message: message, publicKey: raw) {
            return true
        }
        let context = try DigestContext()
        var keyContext: OpaquePointer? = nil
        // Pure Ed25519 takes no digest; the others hash with SHA-256.
        let digest = algorithm == .ed25519 ? nil : EVP_sha256()
        guard EVP_DigestVerifyInit(context.pointer, &keyContext, digest, nil, key.pointer) == 1 else {
            throw .fromOpenSSL(.internalError, "EVP_DigestVerifyInit failed")
        }
        // keyContext belongs to the digest context; it is configured, never freed, here.
        if let keyContext { try configurePadding(keyContext, algorithm: algorithm) }
        let result = derOrRaw.withUnsafeBufferPointer { sig in
            message.withUnsafeBufferPointer { msg in
                EVP_DigestVerify(context.pointer, sig.baseAddress, sig.count, msg.baseAddress, msg.count)
            }
        }
        OpenSSLErrorQueue.clear()
        return result == 1
    }

    /// Whether `signature` is valid for a SHA-256 `digest` computed by the caller (ECDSA and RSA
    /// only; pure Ed25519 signs messages, not digests).
    ///
    /// - Throws: ``CryptoError/Code/algorithmMismatch`` for Ed25519 or a scheme that does not fit
    ///   the key; ``CryptoError/Code/invalidArgument`` unless `digest` is 32 bytes.
    public func isValidSignature(_ signature: [UInt8], forDigest digest: [UInt8],
                                 algorithm: SignatureAlgorithm) throws(CryptoError) -> Bool {
        try requireFit(algorithm)
        guard algorithm != .ed25519 else {
            throw CryptoError(.algorithmMismatch, "pure Ed25519 has no pre-hashed form; pass the message")
        }
        guard digest.count == 32 else {
            throw CryptoError(.invalidArgument, "a SHA-256 digest is 32 bytes, got \(digest.count)")
        }
        guard let derOrRaw = normalizedSignature(signature, algorithm: algorithm) else { return false }
        let context = try KeyContext(key: key)
        guard EVP_PKEY_verify_init(context.pointer) == 1,
              EVP_PKEY_CTX_set_signature_md(context.pointer, EVP_sha256()) == 1 else {
            throw .fromOpenSSL(.internalError, "EVP_PKEY_verify_init failed")
        }
        try configurePadding(context.pointer, algorithm: algorithm)
        let result = derOrRaw.withUnsafeBufferPointer { sig in
            digest.withUnsafeBufferPointer { tbs in
                EVP_PKEY_verify(context.pointer, sig.baseAddress, sig.count, tbs.baseAddress, tbs.count)
            }
        }
        OpenSSLErrorQueue.clear()
        return result == 1
    }

    private func requireFit(_ algorithm: SignatureAlgorithm) throws(CryptoError) {
        guard algorithm.fits(kind) else {
            throw CryptoError(.algorithmMismatch, "\(algorithm) cannot be verified with a \(kind) key")
        }
        if case .rsaPSSSHA256(let salt) = algorithm, salt < 0 || salt > 512 {
            throw CryptoError(.invalidArgument, "PSS salt length \(salt) is outside 0…512")
        }
    }

    /// The signature as OpenSSL wants it (DER for ECDSA), or nil if it cannot possibly be valid.
    private func normalizedSignature(_ signature: [UInt8], algorithm: SignatureAlgorithm) -> [UInt8]? {
        switch algorithm {
        case .ed25519:
            return signature.count == 64 ? signature : nil
        case .ecdsaP256SHA256(let format):
            return (try? ECDSASignature(signature, format: format))?.derRepresentation
        case .rsaPKCS1v15SHA256, .rsaPSSSHA256:
            guard case .rsa(let bits) = kind, signature.count == (bits + 7) / 8 else { return nil }
            return signature
        }
    }

    private func configurePadding(_ context: OpaquePointer, algorithm: SignatureAlgorithm) throws(CryptoError) {
        switch algorithm {
        case .rsaPKCS1v15SHA256:
            guard EVP_PKEY_CTX_set_rsa_padding(context, RSA_PKCS1_PADDING) == 1 else {
                throw .fromOpenSSL(.internalError, "setting PKCS#1 v1.5 padding failed")
            }
        case .rsaPSSSHA256(let salt):
            guard EVP_PKEY_CTX_set_rsa_padding(context, RSA_PKCS1_PSS_PADDING) == 1,
                  EVP_PKEY_CTX_set_rsa_mgf1_md(context, EVP_sha256()) == 1,
                  EVP_PKEY_CTX_set_rsa_pss_saltlen(context, Int32(salt)) == 1 else {
                throw .fromOpenSSL(.internalError, "setting PSS parameters failed")
            }
        case .ed25519, .ecdsaP256SHA256:
            break
        }
    }
}
