// AES-256-GCM in software: used to cross-check what the HSM encrypts, and to seal backup
// bundles on the machine that restores them. Only the parameters of the design are accepted:
// 32-byte keys, 12-byte nonces, 16-byte tags.

import COpenSSL

/// AES-256-GCM authenticated encryption.
public enum AESGCM {
    /// Key size in bytes.
    public static let keySize = 32
    /// Nonce size in bytes (96-bit IV, the only size GCM handles without an extra GHASH).
    public static let nonceSize = 12
    /// Tag size in bytes.
    public static let tagSize = 16

    /// A ciphertext with the nonce and tag that belong to it.
    public struct SealedBox: Hashable, Sendable {
        public var nonce: [UInt8]
        public var ciphertext: [UInt8]
        public var tag: [UInt8]

        public init(nonce: [UInt8], ciphertext: [UInt8], tag: [UInt8]) {
            self.nonce = nonce
            self.ciphertext = ciphertext
            self.tag = tag
        }

        /// `nonce ‖ ciphertext ‖ tag`, the layout used for backup bundles.
        public var combined: [UInt8] { nonce + ciphertext + tag }

        /// Splits `nonce ‖ ciphertext ‖ tag`.
        public init(combined: [UInt8]) throws(CryptoError) {
            guard combined.count >= AESGCM.nonceSize + AESGCM.tagSize else {
                throw CryptoError(.invalidArgument, "a sealed box is at least 28 bytes")
            }
            nonce = Array(combined[..<AESGCM.nonceSize])
            ciphertext = Array(combined[AESGCM.nonceSize..<(combined.count - AESGCM.tagSize)])
            tag = Array(combined[(combined.count - AESGCM.tagSize)...])
        }
    }

    /// Encrypts and authenticates `plaintext` (and authenticates `associatedData`).
    ///
    /// - Parameters:
    ///   - nonce: 12 bytes, never reused with the same key; random when `nil`.
    /// - Throws: ``CryptoError/Code/invalidArgument`` for a wrong key or nonce size.
    public static func seal(_ plaintext: [UInt8], key: [UInt8], nonce givenNonce: [UInt8]? = nil,
                            associatedData: [UInt8] = []) throws(CryptoError) -> SealedBox {
        let nonce: [UInt8]
        if let givenNonce { nonce = givenNonce } else { nonce = try SecureRandom.bytes(nonceSize) }
        let context = try start(key: key, nonce: nonce, encrypt: true)
        try feed(context, associatedData: associatedData)
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count)
        try update(context, input: plaintext, output: &ciphertext, encrypt: true)
        var length: Int32 = 0
        var scratch = [UInt8](repeating: 0, count: 16)
        guard scratch.withUnsafeMutableBufferPointer({ EVP_EncryptFinal_ex(context.pointer, $0.baseAddress, &length) }) == 1 else {
            throw .fromOpenSSL(.internalError, "EVP_EncryptFinal_ex failed")
        }
        var tag = [UInt8](repeating: 0, count: tagSize)
        guard tag.withUnsafeMutableBytes({
            EVP_CIPHER_CTX_ctrl(context.pointer, EVP_CTRL_GCM_GET_TAG, Int32(tagSize), $0.baseAddress)
        }) == 1 else { throw .fromOpenSSL(.internalError, "reading the GCM tag failed") }
        return SealedBox(nonce: nonce, ciphertext: ciphertext, tag: tag)
    }

    /// Verifies and decrypts `box`.
    ///
    /// - Throws: ``CryptoError/Code/authenticationFailed`` if the tag does not verify (wrong key,
    ///   nonce or associated data, or tampering); ``CryptoError/Code/invalidArgument`` for wrong sizes.
    public static func open(_ box: SealedBox, key: [UInt8], associatedData: [UInt8] = []) throws(CryptoError) -> [UInt8] {
        guard box.tag.count == tagSize else {
            throw CryptoError(.invalidArgument, "a GCM tag is \(tagSize) bytes, got \(box.tag.count)")
        }
        let context = try start(key: key, nonce: box.nonce, encrypt: false)
        try feed(context, associatedData: associatedData)
        var plaintext = [UInt8](repeating: 0, count: box.ciphertext.count)
        try update(context, input: box.ciphertext, output: &plaintext, encrypt: false)
        var tag = box.tag
        guard tag.withUnsafeMutableBytes({
            EVP_CIPHER_CTX_ctrl(context.pointer, EVP_CTRL_GCM_SET_TAG, Int32(tagSize), $0.baseAddress)
        }) == 1 else { throw .fromOpenSSL(.internalError, "setting the GCM tag failed") }
        var length: Int32 = 0
        var scratch = [UInt8](repeating: 0, count: 16)
        guard scratch.withUnsafeMutableBufferPointer({ EVP_DecryptFinal_ex(context.pointer, $0.baseAddress, &length) }) == 1 else {
            OpenSSLErrorQueue.clear()
            // Do not hand back unauthenticated plaintext.
            for index in plaintext.indices { plaintext[index] = 0 }
            throw CryptoError(.authenticationFailed, "AES-GCM authentication failed")
        }
        return plaintext
    }


    private static func start(key: [UInt8], nonce: [UInt8], encrypt: Bool) throws(CryptoError) -> CipherContext {
        guard key.count == keySize else {
            throw CryptoError(.invalidArgument, "an AES-256 key is \(keySize) bytes, got \(key.count)")
        }
        guard nonce.count == nonceSize else {
            throw CryptoError(.invalidArgument, "a GCM nonce is \(nonceSize) bytes, got \(nonce.count)")
        }
        let context = try CipherContext()
        let ok = key.withUnsafeBufferPointer { k in
            nonce.withUnsafeBufferPointer { n in
                EVP_CipherInit_ex(context.pointer, EVP_aes_256_gcm(), nil, k.baseAddress, n.baseAddress, encrypt ? 1 : 0)
            }
        }
        guard ok == 1 else { throw .fromOpenSSL(.internalError, "EVP_CipherInit_ex failed") }
        return context
    }

    private static func feed(_ context: CipherContext, associatedData: [UInt8]) throws(CryptoError) {
        guard !associatedData.isEmpty else { return }
        var length: Int32 = 0
        let ok = associatedData.withUnsafeBufferPointer {
            EVP_CipherUpdate(context.pointer, nil, &length, $0.baseAddress, Int32($0.count))
        }
        guard ok == 1 else { throw .fromOpenSSL(.internalError, "feeding associated data failed") }
    }

    private static func update(_ context: CipherContext, input: [UInt8], output: inout [UInt8],
                               encrypt: Bool) throws(CryptoError) {
        guard !input.isEmpty else { return }
        guard input.count < Int(Int32.max) else { throw CryptoError(.invalidArgument, "input too large") }
        var length: Int32 = 0
        let ok = output.withUnsafeMutableBufferPointer { out in
            input.withUnsafeBufferPointer { EVP_CipherUpdate(context.pointer, out.baseAddress, &length, $0.baseAddress, Int32($0.count)) }
        }
        guard ok == 1, Int(length) == input.count else {
            throw .fromOpenSSL(.internalError, encrypt ? "encryption failed" : "decryption failed")
        }
    }
}
