// AES-256-GCM inside the token with a 96-bit IV and a 128-bit tag. SoftHSM2 (like most modules for
// CKM_AES_GCM) takes the IV from the caller rather than generating it, so the IV comes from
// C_GenerateRandom on the same token: it is still produced inside the HSM, and 96 random bits per
// message under one key stay far below GCM's 2^32-message random-IV limit for per-credential keys.
// Decryption and known-answer tests pass an explicit IV.

import CPKCS11

/// An AES-GCM ciphertext with its IV and tag.
public struct GCMSealedBox: Sendable, Hashable {
    /// 12-byte IV.
    public var iv: [UInt8]
    public var ciphertext: [UInt8]
    /// 16-byte tag.
    public var tag: [UInt8]

    public init(iv: [UInt8], ciphertext: [UInt8], tag: [UInt8]) {
        self.iv = iv
        self.ciphertext = ciphertext
        self.tag = tag
    }
}

extension Session {
    /// Encrypts with AES-256-GCM. The IV is generated in the token unless given (KATs only).
    public func encryptGCM(_ plaintext: [UInt8], key: ObjectHandle, aad: [UInt8] = [],
                           iv: [UInt8]? = nil) throws(PKCS11Error) -> GCMSealedBox {
        let iv = if let iv { iv } else { try generateRandom(count: 12) }
        guard iv.count == 12 else {
            throw PKCS11Error(code: .invalidArgument, function: "Session.encryptGCM", message: "IV must be 96 bits")
        }
        let output = try gcm(encrypt: true, input: plaintext, key: key, iv: iv, aad: aad, outputCapacity: plaintext.count + 16)
        return GCMSealedBox(iv: iv, ciphertext: Array(output.dropLast(16)), tag: Array(output.suffix(16)))
    }

    /// Decrypts and authenticates an AES-256-GCM box.
    /// - Throws: a Cryptoki error (CKR_ENCRYPTED_DATA_INVALID from SoftHSM2) when the tag does not verify.
    public func decryptGCM(_ box: GCMSealedBox, key: ObjectHandle, aad: [UInt8] = []) throws(PKCS11Error) -> [UInt8] {
        guard box.iv.count == 12, box.tag.count == 16 else {
            throw PKCS11Error(code: .invalidArgument, function: "Session.decryptGCM", message: "need a 96-bit IV and 128-bit tag")
        }
        return try gcm(encrypt: false, input: box.ciphertext + box.tag, key: key, iv: box.iv, aad: aad,
                       outputCapacity: box.ciphertext.count + 16)
    }

    private func gcm(encrypt: Bool, input: [UInt8], key: ObjectHandle, iv: [UInt8], aad: [UInt8],
                     outputCapacity: Int) throws(PKCS11Error) -> [UInt8] {
        var iv = iv
        var aad = aad
        var input = input
        var out = [UInt8](repeating: 0, count: Swift.max(outputCapacity, 1))
        var outLen = CK_ULONG(out.count)
        let (initRV, rv) = iv.withUnsafeMutableBufferPointer { ivp in
            aad.withUnsafeMutableBufferPointer { aadp in
                var params = CK_GCM_PARAMS(pIv: ivp.baseAddress, ulIvLen: CK_ULONG(ivp.count), ulIvBits: CK_ULONG(ivp.count * 8),
                                           pAAD: aadp.count == 0 ? nil : aadp.baseAddress,
                                           ulAADLen: CK_ULONG(aadp.count), ulTagBits: 128)
                return withUnsafeMutablePointer(to: &params) { pp in
                    var mechanism = CK_MECHANISM(mechanism: CK_MECHANISM_TYPE(CKM_AES_GCM), pParameter: UnsafeMutableRawPointer(pp),
                                                 ulParameterLen: CK_ULONG(MemoryLayout<CK_GCM_PARAMS>.size))
                    let k = CK_OBJECT_HANDLE(key.rawValue)
                    let i = encrypt ? f.C_EncryptInit!(handle, &mechanism, k) : f.C_DecryptInit!(handle, &mechanism, k)
                    if i != CKR_OK { return (i, CK_RV(CKR_OK)) }
                    let r = input.withUnsafeMutableBufferPointer { inp in
                        out.withUnsafeMutableBufferPointer { o in
                            encrypt ? f.C_Encrypt!(handle, inp.baseAddress, CK_ULONG(inp.count), o.baseAddress, &outLen)
                                    : f.C_Decrypt!(handle, inp.baseAddress, CK_ULONG(inp.count), o.baseAddress, &outLen)
                        }
                    }
                    return (i, r)
                }
            }
        }
        try check(initRV, encrypt ? "C_EncryptInit" : "C_DecryptInit")
        try check(rv, encrypt ? "C_Encrypt" : "C_Decrypt")
        return Array(out[..<Int(outLen)])
    }

    /// Derives a per-credential AES-256 key from `master` inside the token. The derivation input
    /// is SHA-256(`context`) computed by the token; the mechanism is CKM_AES_CBC_ENCRYPT_DATA with
    /// a zero IV (= AES-CBC-encrypt of the 32-byte digest under the master key, so two blocks of
    /// key material), which SoftHSM2 and CloudHSM both implement. The same context always yields
    /// the same key, so derived keys can be session objects re-derived on demand.
    public func deriveAESKey(master: ObjectHandle, context: [UInt8], options: KeyOptions) throws(PKCS11Error) -> ObjectHandle {
        var data = try sha256(context)
        let template: [Attribute] = [.objectClass(.secretKey), .keyType(.aes), .ulong(.valueLength, 32)]
            + options.common + options.protection + options.secretRole
        var key: CK_OBJECT_HANDLE = 0
        let rv = data.withUnsafeMutableBufferPointer { d in
            var params = CK_AES_CBC_ENCRYPT_DATA_PARAMS()
            params.pData = d.baseAddress
            params.length = CK_ULONG(d.count)
            return withUnsafeMutablePointer(to: &params) { pp in
                var mechanism = CK_MECHANISM(mechanism: CK_MECHANISM_TYPE(CKM_AES_CBC_ENCRYPT_DATA),
                                             pParameter: UnsafeMutableRawPointer(pp),
                                             ulParameterLen: CK_ULONG(MemoryLayout<CK_AES_CBC_ENCRYPT_DATA_PARAMS>.size))
                return template.withCTemplate { f.C_DeriveKey!(handle, &mechanism, CK_OBJECT_HANDLE(master.rawValue), $0, $1, &key) }
            }
        }
        try check(rv, "C_DeriveKey")
        return ObjectHandle(rawValue: UInt(key))
    }
}
