// Public keys read from the token and exported in the standard forms clients use: raw Ed25519 bytes,
// SubjectPublicKeyInfo (DER and PEM) and JWK. The token's encodings vary by vendor — CKA_EC_POINT
// raw or DER-wrapped, Ed25519 CKA_EC_PARAMS as an OID or as the printable string "edwards25519" — so
// decoding accepts exactly those known forms and rejects everything else.

import Foundation

/// A public key as exported from the token.
public enum PublicKey: Sendable, Hashable {
    /// Ed25519: the 32-byte encoded point.
    case ed25519([UInt8])
    /// P-256: the 65-byte uncompressed point `04 X Y`.
    case p256([UInt8])
    /// RSA: big-endian modulus and public exponent.
    case rsa(modulus: [UInt8], exponent: [UInt8])

    static let oidEd25519: [UInt8] = [0x06, 0x03, 0x2B, 0x65, 0x70]
    static let oidP256: [UInt8] = [0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07]
    static let oidECPublicKey: [UInt8] = [0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01]
    static let oidRSAEncryption: [UInt8] = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01]
    static let printableEdwards25519: [UInt8] = [0x13, 0x0C] + Array("edwards25519".utf8)

    /// The curve named by a CKA_EC_PARAMS value.
    enum Curve { case ed25519, p256 }

    static func curve(ecParams: [UInt8]) throws(PKCS11Error) -> Curve {
        if ecParams == oidEd25519 || ecParams == printableEdwards25519 { return .ed25519 }
        if ecParams == oidP256 { return .p256 }
        throw PKCS11Error(code: .unexpectedData, function: "PublicKey.curve",
                          message: "unsupported CKA_EC_PARAMS \(ecParams.hex)")
    }

    /// Decodes a CKA_EC_POINT for `curve`: raw, or wrapped in a DER OCTET STRING.
    static func decodePoint(_ point: [UInt8], curve: Curve) throws(PKCS11Error) -> PublicKey {
        let size = curve == .ed25519 ? 32 : 65
        let raw: [UInt8]
        if point.count == size {
            raw = point
        } else if let inner = DER.single(0x04, in: point), inner.count == size {
            raw = inner
        } else {
            throw PKCS11Error(code: .unexpectedData, function: "PublicKey.decodePoint",
                              message: "CKA_EC_POINT of \(point.count) bytes is neither raw nor DER-wrapped")
        }
        if curve == .p256 {
            guard raw[0] == 0x04 else {
                throw PKCS11Error(code: .unexpectedData, function: "PublicKey.decodePoint",
                                  message: "P-256 point is not uncompressed")
            }
            return .p256(raw)
        }
        return .ed25519(raw)
    }

    /// The raw 32 bytes of an Ed25519 key, nil for other kinds.
    public var rawEd25519: [UInt8]? { if case .ed25519(let k) = self { k } else { nil } }

    /// DER-encoded SubjectPublicKeyInfo (RFC 5280 / 8410 / 5480 / 3279).
    public var spkiDER: [UInt8] {
        switch self {
        case .ed25519(let key):
            return DER.sequence(DER.sequence(Self.oidEd25519), DER.bitString(key))
        case .p256(let point):
            return DER.sequence(DER.sequence(Self.oidECPublicKey, Self.oidP256), DER.bitString(point))
        case .rsa(let modulus, let exponent):
            let rsaKey = DER.sequence(DER.unsignedInteger(modulus), DER.unsignedInteger(exponent))
            return DER.sequence(DER.sequence(Self.oidRSAEncryption, DER.null), DER.bitString(rsaKey))
        }
    }

    /// PEM `PUBLIC KEY` block of `spkiDER`.
    public var pem: String {
        let b64 = Data(spkiDER).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return "-----BEGIN PUBLIC KEY-----\n\(b64)\n-----END PUBLIC KEY-----\n"
    }

    /// The JWK members (RFC 7517/7518/8037), keys sorted, as a compact JSON object.
    public var jwk: String {
        let members: [(String, String)]
        switch self {
        case .ed25519(let key):
            members = [("crv", "Ed25519"), ("kty", "OKP"), ("x", key.base64URL)]
        case .p256(let point):
            members = [("crv", "P-256"), ("kty", "EC"), ("x", Array(point[1..<33]).base64URL),
                       ("y", Array(point[33..<65]).base64URL)]
        case .rsa(let modulus, let exponent):
            members = [("e", Array(exponent.drop(while: { $0 == 0 })).base64URL), ("kty", "RSA"),
                       ("n", Array(modulus.drop(while: { $0 == 0 })).base64URL)]
        }
        return "{" + members.map { "\"\($0.0)\":\"\($0.1)\"" }.joined(separator: ",") + "}"
    }
}

extension [UInt8] {
    /// Unpadded base64url (RFC 4648 §5).
    var base64URL: String {
        Data(self).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// Lower-case hex.
    var hex: String { map { String(format2: $0).lowercased() }.joined() }
}

/// Decoding of the token's public-key attributes, exposed for the registry and for tests of
/// vendor quirks.
public enum PublicKeyDecoding {
    /// The public key described by CKA_EC_PARAMS and CKA_EC_POINT. Accepts the point raw or
    /// DER-wrapped, and Ed25519 params as the OID or the printable string "edwards25519".
    /// - Throws: `.unexpectedData` for any other encoding.
    public static func decode(ecParams: [UInt8], ecPoint: [UInt8]) throws(PKCS11Error) -> PublicKey {
        try PublicKey.decodePoint(ecPoint, curve: PublicKey.curve(ecParams: ecParams))
    }
}
