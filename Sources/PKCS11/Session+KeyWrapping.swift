// Key wrapping (C_WrapKey / C_UnwrapKey): how key material moves between tokens without ever being
// in the clear outside one. Two mechanisms: AES key wrap with padding (RFC 5649,
// CKM_AES_KEY_WRAP_PAD) for private and secret keys under a transport AES key, and RSA-OAEP for
// moving that transport key to another token under the receiving token's public key. SoftHSM2 only
// accepts SHA-1 for OAEP (hash and MGF1); OAEP-SHA-1 remains sound for key transport.
// SoftHSM2 2.6.1 refuses to wrap Ed25519 private keys (CKR_KEY_NOT_WRAPPABLE).

import CPKCS11

/// A key-wrapping mechanism.
public enum WrapMechanism: Sendable {
    /// CKM_AES_KEY_WRAP_PAD (RFC 5649) under an AES key.
    case aesKeyWrapPad
    /// CKM_RSA_PKCS_OAEP with SHA-1 and MGF1-SHA-1, under an RSA public key (unwrap: private key).
    case rsaOAEP
}

extension Session {
    /// Wraps `key` (which must be CKA_EXTRACTABLE) under `wrappingKey`.
    public func wrapKey(_ key: ObjectHandle, with wrappingKey: ObjectHandle,
                        mechanism: WrapMechanism) throws(PKCS11Error) -> [UInt8] {
        var length: CK_ULONG = 0
        try check(withMechanism(mechanism) { m in
            f.C_WrapKey!(handle, m, CK_OBJECT_HANDLE(wrappingKey.rawValue), CK_OBJECT_HANDLE(key.rawValue), nil, &length)
        }, "C_WrapKey")
        var out = [UInt8](repeating: 0, count: Int(length))
        let rv = withMechanism(mechanism) { m in
            out.withUnsafeMutableBufferPointer {
                f.C_WrapKey!(handle, m, CK_OBJECT_HANDLE(wrappingKey.rawValue), CK_OBJECT_HANDLE(key.rawValue),
                             $0.baseAddress, &length)
            }
        }
        try check(rv, "C_WrapKey")
        return Array(out[..<Int(length)])
    }

    /// Unwraps `blob` under `unwrappingKey` into a new object described by `template`.
    public func unwrapKey(_ blob: [UInt8], with unwrappingKey: ObjectHandle, mechanism: WrapMechanism,
                          template: [Attribute]) throws(PKCS11Error) -> ObjectHandle {
        var wrapped = blob
        var key: CK_OBJECT_HANDLE = 0
        let rv = withMechanism(mechanism) { m in
            wrapped.withUnsafeMutableBufferPointer { w in
                template.withCTemplate {
                    f.C_UnwrapKey!(handle, m, CK_OBJECT_HANDLE(unwrappingKey.rawValue), w.baseAddress,
                                   CK_ULONG(w.count), $0, $1, &key)
                }
            }
        }
        try check(rv, "C_UnwrapKey")
        return ObjectHandle(rawValue: UInt(key))
    }

    /// Generates an AES-256 transport key that wraps and unwraps and may itself be wrapped
    /// (to move it to another token). `persistent` false makes it vanish with the session.
    public func generateTransportKey(persistent: Bool = false) throws(PKCS11Error) -> ObjectHandle {
        let template: [Attribute] = [.objectClass(.secretKey), .keyType(.aes), .ulong(.valueLength, 32),
                                     .bool(.token, persistent), .bool(.private, true), .bool(.sensitive, true),
                                     .bool(.extractable, true), .bool(.wrap, true), .bool(.unwrap, true),
                                     .bool(.encrypt, false), .bool(.decrypt, false)]
        var mechanism = CK_MECHANISM(mechanism: CK_MECHANISM_TYPE(CKM_AES_KEY_GEN), pParameter: nil, ulParameterLen: 0)
        var key: CK_OBJECT_HANDLE = 0
        try check(template.withCTemplate { f.C_GenerateKey!(handle, &mechanism, $0, $1, &key) }, "C_GenerateKey")
        return ObjectHandle(rawValue: UInt(key))
    }

    /// Generates an RSA-3072 key pair for key transport: the public half wraps, the private half
    /// (sensitive, never extractable) unwraps.
    /// - Parameter id: CKA_ID of both halves (lets racing creators agree on one pair).
    public func generateTransportKeyPair(label: String, id: [UInt8] = [], persistent: Bool) throws(PKCS11Error) -> KeyHandles {
        let publicTemplate: [Attribute] = [.objectClass(.publicKey), .keyType(.rsa), .bool(.token, persistent),
                                           .bytes(.id, id),
                                           .string(.label, label), .bool(.private, false), .bool(.wrap, true),
                                           .bool(.encrypt, false), .bool(.verify, false),
                                           .ulong(.modulusBits, 3072), .bytes(.publicExponent, [1, 0, 1])]
        let privateTemplate: [Attribute] = [.objectClass(.privateKey), .keyType(.rsa), .bool(.token, persistent),
                                            .bytes(.id, id),
                                            .string(.label, label), .bool(.private, true), .bool(.sensitive, true),
                                            .bool(.extractable, false), .bool(.unwrap, true), .bool(.decrypt, false),
                                            .bool(.sign, false)]
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

    /// Imports another token's transport public key as a session object that can wrap.
    public func importTransportPublicKey(modulus: [UInt8], exponent: [UInt8]) throws(PKCS11Error) -> ObjectHandle {
        try createObject([.objectClass(.publicKey), .keyType(.rsa), .bool(.token, false), .bool(.private, false),
                          .bool(.wrap, true), .bool(.encrypt, false), .bool(.verify, false),
                          .bytes(.modulus, modulus), .bytes(.publicExponent, exponent)])
    }

    private func withMechanism<R>(_ mechanism: WrapMechanism, _ body: (UnsafeMutablePointer<CK_MECHANISM>) -> R) -> R {
        switch mechanism {
        case .aesKeyWrapPad:
            var m = CK_MECHANISM(mechanism: CK_MECHANISM_TYPE(CKM_AES_KEY_WRAP_PAD), pParameter: nil, ulParameterLen: 0)
            return body(&m)
        case .rsaOAEP:
            var params = CK_RSA_PKCS_OAEP_PARAMS(hashAlg: CK_MECHANISM_TYPE(CKM_SHA_1), mgf: CK_RSA_PKCS_MGF_TYPE(CKG_MGF1_SHA1),
                                                 source: CK_RSA_PKCS_OAEP_SOURCE_TYPE(CKZ_DATA_SPECIFIED),
                                                 pSourceData: nil, ulSourceDataLen: 0)
            return withUnsafeMutablePointer(to: &params) { p in
                var m = CK_MECHANISM(mechanism: CK_MECHANISM_TYPE(CKM_RSA_PKCS_OAEP), pParameter: UnsafeMutableRawPointer(p),
                                     ulParameterLen: CK_ULONG(MemoryLayout<CK_RSA_PKCS_OAEP_PARAMS>.size))
                return body(&m)
            }
        }
    }
}
