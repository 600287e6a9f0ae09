// Bring-your-own-key without the key ever being in the clear outside the token. The server holds
// one RSA-3072 import key pair (decrypt/unwrap only); a client wraps its PKCS#8 private key the way
// CKM_RSA_AES_KEY_WRAP defines (RFC 3394/5649 + RSA-OAEP, as AWS KMS and Google Cloud KMS import
// do): RSA-OAEP-SHA256(ephemeral AES-256 key) ‖ AES-KWP(ephemeral key, PKCS#8). Modules that
// implement CKM_RSA_AES_KEY_WRAP unwrap it in one call; for the others the same bytes are unwrapped
// in two steps inside the token: CKM_RSA_PKCS_OAEP yields the ephemeral AES key as a session object,
// CKM_AES_KEY_WRAP_PAD then yields the private key, and the ephemeral key is destroyed.

import CPKCS11

extension Session {
    /// Generates the RSA-3072 import key pair: the private half may only decrypt and unwrap.
    public func generateImportKeyPair(id: [UInt8], label: String) throws(PKCS11Error) -> KeyHandles {
        let common: [Attribute] = [.bool(.token, true), .bytes(.id, id), .string(.label, label)]
        let publicTemplate: [Attribute] = [.objectClass(.publicKey), .keyType(.rsa), .ulong(.modulusBits, 3072),
                                           .bytes(.publicExponent, [1, 0, 1]), .bool(.private, false),
                                           .bool(.encrypt, true), .bool(.wrap, true), .bool(.verify, false)] + common
        let privateTemplate: [Attribute] = [.objectClass(.privateKey), .keyType(.rsa), .bool(.private, true),
                                            .bool(.sensitive, true), .bool(.extractable, false), .bool(.decrypt, true),
                                            .bool(.unwrap, true), .bool(.sign, false)] + common
        var mechanism = CK_MECHANISM(mechanism: CK_MECHANISM_TYPE(CKM_RSA_PKCS_KEY_PAIR_GEN), pParameter: nil,
                                     ulParameterLen: 0)
        var pub: CK_OBJECT_HANDLE = 0
        var priv: CK_OBJECT_HANDLE = 0
        let rv = publicTemplate.withCTemplate { pubT, pubN in
            privateTemplate.withCTemplate { privT, privN in
                f.C_GenerateKeyPair!(handle, &mechanism, pubT, pubN, privT, privN, &pub, &priv)
            }
        }
        try check(rv, "C_GenerateKeyPair")
        return KeyHandles(privateKey: ObjectHandle(rawValue: UInt(priv)), publicKey: ObjectHandle(rawValue: UInt(pub)))
    }

    /// Unwraps a PKCS#8 private key wrapped as CKM_RSA_AES_KEY_WRAP (OAEP with SHA-256 and
    /// MGF1-SHA-256, no label) under `importKey`, creating a signing key marked like a generated one.
    /// - Parameters:
    ///   - modulusBytes: size of the import key's modulus (the length of the OAEP part).
    ///   - keyType: the key type the caller expects; the token checks the PKCS#8 against it.
    ///   - extra: further attributes of the new key (e.g. a temporary CKA_DERIVE).
    public func unwrapPrivateKey(_ wrapped: [UInt8], importKey: ObjectHandle, modulusBytes: Int, keyType: KeyType,
                                 options: KeyOptions, extra: [Attribute] = []) throws(PKCS11Error) -> ObjectHandle {
        guard wrapped.count > modulusBytes + 8 else {
            throw PKCS11Error(code: .invalidArgument, function: "Session.unwrapPrivateKey",
                              message: "wrapped key of \(wrapped.count) bytes is shorter than the RSA part plus one AES-KWP block")
        }
        let template: [Attribute] = [.objectClass(.privateKey), .keyType(keyType), .bool(.sign, true)]
            + options.common + options.protection + extra
        // OAEP with SHA-256 first; SHA-1 for modules whose OAEP has nothing else (SoftHSM2 2.6.1
        // answers CKR_ARGUMENTS_BAD to SHA-256). Both fail alike towards the caller.
        var lastError: PKCS11Error?
        for (hash, mgf) in [(UInt(CKM_SHA256), UInt(CKG_MGF1_SHA256)), (UInt(CKM_SHA_1), UInt(CKG_MGF1_SHA1))] {
            var oaep = CK_RSA_PKCS_OAEP_PARAMS(hashAlg: CK_MECHANISM_TYPE(hash), mgf: CK_RSA_PKCS_MGF_TYPE(mgf),
                                               source: CK_RSA_PKCS_OAEP_SOURCE_TYPE(CKZ_DATA_SPECIFIED), pSourceData: nil,
                                               ulSourceDataLen: 0)
            do throws(PKCS11Error) {
                return try unwrap(wrapped, importKey: importKey, modulusBytes: modulusBytes, oaep: &oaep, template: template)
            } catch {
                if lastError == nil || error.returnValue != UInt(CKR_ARGUMENTS_BAD) { lastError = error }
            }
        }
        throw lastError!
    }

    /// One unwrap attempt with the given OAEP parameters: CKM_RSA_AES_KEY_WRAP when the module has
    /// it, else OAEP to an ephemeral AES session key, AES-KWP to the key, and the AES key destroyed.
    private func unwrap(_ wrapped: [UInt8], importKey: ObjectHandle, modulusBytes: Int,
                        oaep: inout CK_RSA_PKCS_OAEP_PARAMS, template: [Attribute]) throws(PKCS11Error) -> ObjectHandle {
        if module.cachedMechanismSupport(slot: slot, mechanism: UInt(CKM_RSA_AES_KEY_WRAP), list: { (try? mechanisms()) ?? [] }) {
            let result: (rv: CK_RV, key: CK_OBJECT_HANDLE) = withUnsafeMutablePointer(to: &oaep) { oaepPointer in
                // CK_RSA_AES_KEY_WRAP_PARAMS { CK_ULONG ulAESKeyBits; CK_RSA_PKCS_OAEP_PARAMS_PTR pOAEPParams }
                // (absent from p11-kit's header; same layout as this pair).
                var params: (CK_ULONG, UnsafeMutableRawPointer?) = (256, UnsafeMutableRawPointer(oaepPointer))
                return withUnsafeMutableBytes(of: &params) { p in
                    var mechanism = CK_MECHANISM(mechanism: CK_MECHANISM_TYPE(CKM_RSA_AES_KEY_WRAP), pParameter: p.baseAddress,
                                                 ulParameterLen: CK_ULONG(p.count))
                    return unwrapRaw(&mechanism, wrapping: importKey, wrapped: wrapped, template: template)
                }
            }
            if result.rv != CKR_MECHANISM_INVALID && result.rv != CKR_MECHANISM_PARAM_INVALID {
                try check(result.rv, "C_UnwrapKey(CKM_RSA_AES_KEY_WRAP)")
                return ObjectHandle(rawValue: UInt(result.key))
            }
        }
        let aesTemplate: [Attribute] = [.objectClass(.secretKey), .keyType(.aes), .bool(.token, false),
                                        .bool(.private, true), .bool(.sensitive, true), .bool(.extractable, false),
                                        .bool(.unwrap, true), .bool(.encrypt, false), .bool(.decrypt, false)]
        let first = withUnsafeMutableBytes(of: &oaep) { p in
            var mechanism = CK_MECHANISM(mechanism: CK_MECHANISM_TYPE(CKM_RSA_PKCS_OAEP), pParameter: p.baseAddress,
                                         ulParameterLen: CK_ULONG(p.count))
            return unwrapRaw(&mechanism, wrapping: importKey, wrapped: Array(wrapped.prefix(modulusBytes)),
                             template: aesTemplate)
        }
        try check(first.rv, "C_UnwrapKey(CKM_RSA_PKCS_OAEP)")
        let aes = first.key
        defer { _ = f.C_DestroyObject!(handle, aes) }
        var mechanism = CK_MECHANISM(mechanism: CK_MECHANISM_TYPE(CKM_AES_KEY_WRAP_PAD), pParameter: nil, ulParameterLen: 0)
        let result = unwrapRaw(&mechanism, wrapping: ObjectHandle(rawValue: UInt(aes)),
                               wrapped: Array(wrapped.dropFirst(modulusBytes)), template: template)
        try check(result.rv, "C_UnwrapKey(CKM_AES_KEY_WRAP_PAD)")
        return ObjectHandle(rawValue: UInt(result.key))
    }

    private func unwrapRaw(_ mechanism: inout CK_MECHANISM, wrapping: ObjectHandle, wrapped: [UInt8],
                           template: [Attribute]) -> (rv: CK_RV, key: CK_OBJECT_HANDLE) {
        var input = wrapped
        var key: CK_OBJECT_HANDLE = 0
        let rv = input.withUnsafeMutableBufferPointer { inp in
            template.withCTemplate { t, n in
                f.C_UnwrapKey!(handle, &mechanism, CK_OBJECT_HANDLE(wrapping.rawValue), inp.baseAddress,
                               CK_ULONG(inp.count), t, n, &key)
            }
        }
        return (rv, key)
    }
}
