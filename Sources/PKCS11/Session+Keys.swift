// Key generation, import and lookup inside the token. Generation never sees key bytes; import
// (C_CreateObject) exists for bring-your-own-key and known-answer tests, and marks the imported key
// exactly like a generated one.

import CPKCS11

extension Session {
    /// Generates a key of `spec` inside the token.
    public func generateKey(_ spec: KeySpec, options: KeyOptions) throws(PKCS11Error) -> KeyHandles {
        switch spec {
        case .aes256:
            let template: [Attribute] = [.objectClass(.secretKey), .keyType(.aes), .ulong(.valueLength, 32)]
                + options.common + options.protection + options.secretRole
            var mechanism = CK_MECHANISM(mechanism: CK_MECHANISM_TYPE(CKM_AES_KEY_GEN), pParameter: nil, ulParameterLen: 0)
            var key: CK_OBJECT_HANDLE = 0
            try check(template.withCTemplate { f.C_GenerateKey!(handle, &mechanism, $0, $1, &key) }, "C_GenerateKey")
            return KeyHandles(privateKey: ObjectHandle(rawValue: UInt(key)), publicKey: nil)
        case .ed25519, .ecdsaP256, .rsa2048, .rsa3072:
            let (mechanismType, publicExtra, keyType): (UInt, [Attribute], KeyType) = switch spec {
            case .ed25519: (0x1055, [.bytes(.ecParams, PublicKey.oidEd25519)], .ecEdwards)
            case .ecdsaP256: (UInt(CKM_EC_KEY_PAIR_GEN), [.bytes(.ecParams, PublicKey.oidP256)], .ec)
            case .rsa2048: (UInt(CKM_RSA_PKCS_KEY_PAIR_GEN),
                            [.ulong(.modulusBits, 2048), .bytes(.publicExponent, [1, 0, 1])], .rsa)
            default: (UInt(CKM_RSA_PKCS_KEY_PAIR_GEN),
                      [.ulong(.modulusBits, 3072), .bytes(.publicExponent, [1, 0, 1])], .rsa)
            }
            let publicTemplate: [Attribute] = [.objectClass(.publicKey), .keyType(keyType), .bool(.verify, true),
                                               .bool(.private, false)] + options.common + publicExtra
            let privateTemplate: [Attribute] = [.objectClass(.privateKey), .keyType(keyType), .bool(.sign, true)]
                + options.common + options.protection
            var mechanism = CK_MECHANISM(mechanism: CK_MECHANISM_TYPE(mechanismType), pParameter: nil, ulParameterLen: 0)
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
    }

    /// Imports a private or secret key (C_CreateObject), plus the public half when it can be
    /// built from the material (RSA) or is given (`publicKey` for EC keys).
    public func importKey(_ material: KeyMaterial, options: KeyOptions,
                          publicKey: PublicKey? = nil) throws(PKCS11Error) -> KeyHandles {
        var template: [Attribute] = options.common + options.protection
        var publicHalf = publicKey
        switch material {
        case .aes256(let key):
            guard key.count == 32 else { throw badMaterial("AES-256 key of \(key.count) bytes") }
            template += [.objectClass(.secretKey), .keyType(.aes), .bytes(.value, key)] + options.secretRole
        case .ed25519(let seed):
            guard seed.count == 32 else { throw badMaterial("Ed25519 seed of \(seed.count) bytes") }
            template += [.objectClass(.privateKey), .keyType(.ecEdwards), .bool(.sign, true),
                         .bytes(.ecParams, PublicKey.oidEd25519), .bytes(.value, seed)]
        case .p256(let scalar):
            guard scalar.count == 32 else { throw badMaterial("P-256 scalar of \(scalar.count) bytes") }
            template += [.objectClass(.privateKey), .keyType(.ec), .bool(.sign, true),
                         .bytes(.ecParams, PublicKey.oidP256), .bytes(.value, scalar)]
        case .rsa(let rsa):
            guard rsa.modulus.count >= 256 else { throw badMaterial("RSA modulus below 2048 bits") }
            template += [.objectClass(.privateKey), .keyType(.rsa), .bool(.sign, true),
                         .bytes(.modulus, rsa.modulus), .bytes(.publicExponent, rsa.publicExponent),
                         .bytes(.privateExponent, rsa.privateExponent)]
            if let crt = rsa.crt {
                template += [.bytes(.prime1, crt.p), .bytes(.prime2, crt.q), .bytes(.exponent1, crt.dp),
                             .bytes(.exponent2, crt.dq), .bytes(.coefficient, crt.qInv)]
            }
            publicHalf = .rsa(modulus: rsa.modulus, exponent: rsa.publicExponent)
        }
        let key = try createObject(template)
        var handles = KeyHandles(privateKey: key, publicKey: nil)
        if let publicHalf {
            handles.publicKey = try createPublicKey(publicHalf, options: options)
        }
        return handles
    }

    /// Creates a public-key object (CKO_PUBLIC_KEY) for `key`.
    public func createPublicKey(_ key: PublicKey, options: KeyOptions) throws(PKCS11Error) -> ObjectHandle {
        var template: [Attribute] = [.objectClass(.publicKey), .bool(.verify, true), .bool(.private, false)] + options.common
        switch key {
        case .ed25519(let raw):
            template += [.keyType(.ecEdwards), .bytes(.ecParams, PublicKey.oidEd25519), .bytes(.ecPoint, DER.octetString(raw))]
        case .p256(let point):
            template += [.keyType(.ec), .bytes(.ecParams, PublicKey.oidP256), .bytes(.ecPoint, DER.octetString(point))]
        case .rsa(let modulus, let exponent):
            template += [.keyType(.rsa), .bytes(.modulus, modulus), .bytes(.publicExponent, exponent)]
        }
        return try createObject(template)
    }

    private func badMaterial(_ what: String) -> PKCS11Error {
        PKCS11Error(code: .invalidArgument, function: "Session.importKey", message: what)
    }

    /// The object of `objectClass` whose CKA_ID is `id`, if any.
    public func findKey(id: [UInt8], objectClass: ObjectClass) throws(PKCS11Error) -> ObjectHandle? {
        try findObjects([.objectClass(objectClass), .bytes(.id, id)], limit: 1).first
    }

    /// Objects labelled `label` (any class).
    public func findObjects(label: String) throws(PKCS11Error) -> [ObjectHandle] {
        try findObjects([.string(.label, label)])
    }

    /// The public key of a key pair, read from a public- or private-key object.
    /// - Throws: `.unexpectedData` for encodings outside the accepted forms.
    public func publicKey(of object: ObjectHandle) throws(PKCS11Error) -> PublicKey {
        guard let type = try ulongAttribute(.keyType, of: object).map(KeyType.init(rawValue:)) else {
            throw PKCS11Error(code: .unexpectedData, function: "Session.publicKey", message: "object has no CKA_KEY_TYPE")
        }
        switch type {
        case .rsa:
            guard let n = try attribute(.modulus, of: object), let e = try attribute(.publicExponent, of: object) else {
                throw PKCS11Error(code: .unexpectedData, function: "Session.publicKey", message: "RSA key without modulus")
            }
            return .rsa(modulus: n, exponent: e)
        case .ec, .ecEdwards:
            guard let params = try attribute(.ecParams, of: object), let point = try attribute(.ecPoint, of: object) else {
                throw PKCS11Error(code: .unexpectedData, function: "Session.publicKey",
                                  message: "EC key without CKA_EC_PARAMS/CKA_EC_POINT (use the public-key object)")
            }
            return try PublicKey.decodePoint(point, curve: PublicKey.curve(ecParams: params))
        default:
            throw PKCS11Error(code: .invalidArgument, function: "Session.publicKey",
                              message: "key type 0x\(String(type.rawValue, radix: 16)) has no public key")
        }
    }
}

/// Key bytes for import (bring-your-own-key, known-answer tests).
public enum KeyMaterial: Sendable {
    case aes256([UInt8])
    /// The 32-byte Ed25519 private seed (RFC 8032).
    case ed25519(seed: [UInt8])
    /// The 32-byte P-256 private scalar.
    case p256(scalar: [UInt8])
    case rsa(RSAPrivateKey)
}

/// RSA private key components, big-endian.
public struct RSAPrivateKey: Sendable {
    public struct CRT: Sendable {
        public var p, q, dp, dq, qInv: [UInt8]
        public init(p: [UInt8], q: [UInt8], dp: [UInt8], dq: [UInt8], qInv: [UInt8]) {
            (self.p, self.q, self.dp, self.dq, self.qInv) = (p, q, dp, dq, qInv)
        }
    }
    public var modulus: [UInt8]
    public var publicExponent: [UInt8]
    public var privateExponent: [UInt8]
    public var crt: CRT?

    public init(modulus: [UInt8], publicExponent: [UInt8], privateExponent: [UInt8], crt: CRT? = nil) {
        self.modulus = modulus
        self.publicExponent = publicExponent
        self.privateExponent = privateExponent
        self.crt = crt
    }
}
