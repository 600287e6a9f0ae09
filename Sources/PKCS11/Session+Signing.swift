// Signing inside the token. Each signature is one C_SignInit + C_Sign pair on this session; the
// scheduler amortises everything else (key lookup, session set-up) across a batch. ECDSA uses
// CKM_ECDSA_SHA256 when the module has it and otherwise hashes with C_Digest in the token and signs
// the digest with CKM_ECDSA (SoftHSM2 2.6.1 has no CKM_ECDSA_SHA256).

import CPKCS11

extension Session {
    /// Signs `message` with the private key `key`.
    /// - Parameters:
    ///   - ecdsaFormat: output encoding for ECDSA (ignored by the other mechanisms).
    /// - Throws: the Cryptoki error of C_SignInit/C_Sign (e.g. CKR_KEY_TYPE_INCONSISTENT when the
    ///   key does not fit the mechanism).
    public func sign(_ message: [UInt8], key: ObjectHandle, mechanism: SignatureMechanism,
                     ecdsaFormat: ECDSAFormat = .raw) throws(PKCS11Error) -> [UInt8] {
        switch mechanism {
        case .ed25519:
            return try rawSign(message, key: key, mechanism: UInt(CKM_EDDSA), parameter: [])
        case .rsaPKCS1SHA256:
            return try rawSign(message, key: key, mechanism: UInt(CKM_SHA256_RSA_PKCS), parameter: [])
        case .rsaPSSSHA256:
            var params = CK_RSA_PKCS_PSS_PARAMS(hashAlg: CK_MECHANISM_TYPE(CKM_SHA256),
                                                mgf: CK_RSA_PKCS_MGF_TYPE(CKG_MGF1_SHA256), sLen: 32)
            let bytes = withUnsafeBytes(of: &params) { Array($0) }
            return try rawSign(message, key: key, mechanism: UInt(CKM_SHA256_RSA_PKCS_PSS), parameter: bytes)
        case .ecdsaP256SHA256:
            let raw: [UInt8]
            if hasECDSASHA256 {
                raw = try rawSign(message, key: key, mechanism: UInt(CKM_ECDSA_SHA256), parameter: [])
            } else {
                raw = try rawSign(try sha256(message), key: key, mechanism: UInt(CKM_ECDSA), parameter: [])
            }
            return ecdsaFormat == .raw ? raw : try ECDSASignatureEncoding.der(fromRaw: raw)
        }
    }

    /// Whether the module implements CKM_ECDSA_SHA256 (asked once per module and slot).
    var hasECDSASHA256: Bool {
        module.cachedMechanismSupport(slot: slot, mechanism: UInt(CKM_ECDSA_SHA256)) {
            (try? mechanisms()) ?? []
        }
    }

    func rawSign(_ data: [UInt8], key: ObjectHandle, mechanism type: UInt, parameter: [UInt8]) throws(PKCS11Error) -> [UInt8] {
        var parameter = parameter
        let initRV = parameter.withUnsafeMutableBytes { p in
            var mechanism = CK_MECHANISM(mechanism: CK_MECHANISM_TYPE(type),
                                         pParameter: p.isEmpty ? nil : p.baseAddress,
                                         ulParameterLen: CK_ULONG(p.count))
            return f.C_SignInit!(handle, &mechanism, CK_OBJECT_HANDLE(key.rawValue))
        }
        try check(initRV, "C_SignInit")
        // 512 bytes covers RSA-4096; a too-small buffer would leave the operation active.
        var out = [UInt8](repeating: 0, count: 512)
        var outLen = CK_ULONG(out.count)
        var input = data
        let rv = input.withUnsafeMutableBufferPointer { inp in
            out.withUnsafeMutableBufferPointer {
                f.C_Sign!(handle, inp.baseAddress, CK_ULONG(inp.count), $0.baseAddress, &outLen)
            }
        }
        try check(rv, "C_Sign")
        out.removeSubrange(Int(outLen)...)
        return out
    }
}
