// Recovering the public point of a P-256 private key that came into the token without one (an
// unwrapped PKCS#8: SoftHSM2 stores only the scalar d). ECDH with the curve's base point G as the
// peer key makes the token compute d·G — the public point — and return its x coordinate as the
// shared secret; the caller picks y from the two candidates by checking a signature. The secret
// object is a session object and is destroyed at once; the x coordinate is public information.

import CPKCS11

extension Session {
    /// The uncompressed base point of P-256 (SEC 2 §2.4.2).
    static let p256Generator: [UInt8] = [0x04]
        + [0x6B, 0x17, 0xD1, 0xF2, 0xE1, 0x2C, 0x42, 0x47, 0xF8, 0xBC, 0xE6, 0xE5, 0x63, 0xA4, 0x40, 0xF2,
           0x77, 0x03, 0x7D, 0x81, 0x2D, 0xEB, 0x33, 0xA0, 0xF4, 0xA1, 0x39, 0x45, 0xD8, 0x98, 0xC2, 0x96]
        + [0x4F, 0xE3, 0x42, 0xE2, 0xFE, 0x1A, 0x7F, 0x9B, 0x8E, 0xE7, 0xEB, 0x4A, 0x7C, 0x0F, 0x9E, 0x16,
           0x2B, 0xCE, 0x33, 0x57, 0x6B, 0x31, 0x5E, 0xCE, 0xCB, 0xB6, 0x40, 0x68, 0x37, 0xBF, 0x51, 0xF5]

    /// The x coordinate (32 bytes) of the public point of the P-256 private key `key`, which must
    /// allow CKA_DERIVE.
    /// - Throws: `.invalidArgument` when the key is not on P-256; the Cryptoki error otherwise.
    public func p256PublicX(of key: ObjectHandle) throws(PKCS11Error) -> [UInt8] {
        guard try attribute(.ecParams, of: key) == PublicKey.oidP256 else {
            throw PKCS11Error(code: .invalidArgument, function: "Session.p256PublicX", message: "the key is not on P-256")
        }
        let template: [Attribute] = [.objectClass(.secretKey), .keyType(.genericSecret), .bool(.token, false),
                                     .bool(.sensitive, false), .bool(.extractable, true), .ulong(.valueLength, 32)]
        var lastRV = CK_RV(CKR_OK)
        // The raw point first; some modules want it DER-wrapped as an OCTET STRING.
        for peer in [Self.p256Generator, DER.octetString(Self.p256Generator)] {
            var point = peer
            var secret: CK_OBJECT_HANDLE = 0
            let rv = point.withUnsafeMutableBufferPointer { p in
                var params = CK_ECDH1_DERIVE_PARAMS()
                params.kdf = ck_ec_kdf_t(CKD_NULL)
                params.ulPublicDataLen = CK_ULONG(p.count)
                params.pPublicData = p.baseAddress
                return withUnsafeMutablePointer(to: &params) { pp in
                    var mechanism = CK_MECHANISM(mechanism: CK_MECHANISM_TYPE(CKM_ECDH1_DERIVE), pParameter: UnsafeMutableRawPointer(pp),
                                                 ulParameterLen: CK_ULONG(MemoryLayout<CK_ECDH1_DERIVE_PARAMS>.size))
                    return template.withCTemplate { f.C_DeriveKey!(handle, &mechanism, CK_OBJECT_HANDLE(key.rawValue), $0, $1, &secret) }
                }
            }
            lastRV = rv
            guard rv == CKR_OK else { continue }
            defer { _ = f.C_DestroyObject!(handle, secret) }
            guard let x = try attribute(.value, of: ObjectHandle(rawValue: UInt(secret))), x.count == 32 else {
                throw PKCS11Error(code: .unexpectedData, function: "Session.p256PublicX", message: "ECDH secret is not 32 bytes")
            }
            return x
        }
        try check(lastRV, "C_DeriveKey(CKM_ECDH1_DERIVE)")
        throw PKCS11Error(code: .unexpectedData, function: "Session.p256PublicX", message: "no ECDH result")
    }
}
