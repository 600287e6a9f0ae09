// A verification key held in software: the service verifies signatures, answers public-key reads
// in degraded mode, and checks what the HSM returns, all without touching the HSM. Only the key
// kinds of the design (Ed25519, P-256, RSA >= 2048) are accepted, so every later switch is total.

import COpenSSL

/// A public key for Ed25519, ECDSA P-256 or RSA (2048–16384 bits).
///
/// Construct it from raw bytes (``init(ed25519Raw:)``, ``init(p256Point:)``,
/// ``init(rsaModulus:exponent:)``), from SPKI DER or PEM (see `PublicKey+Encodings.swift`) or from a
/// JWK (see `PublicKey+JWK.swift`). Keys compare equal when their SPKI encodings are equal.
public struct PublicKey: Sendable, Hashable, CustomStringConvertible {
    /// The kind of key.
    public enum Kind: Hashable, Sendable, CustomStringConvertible {
        case ed25519
        case p256
        case rsa(bits: Int)

        public var description: String {
            switch self {
            case .ed25519: return "Ed25519"
            case .p256: return "P-256"
            case .rsa(let bits): return "RSA-\(bits)"
            }
        }
    }

    /// The smallest RSA modulus accepted, in bits.
    public static let minimumRSABits = 2048
    /// The largest RSA modulus accepted, in bits (bounds verification cost of hostile keys).
    public static let maximumRSABits = 16384

    /// What kind of key this is.
    public let kind: Kind
    let key: EVPKey

    /// Wraps an OpenSSL key after checking it is one of the supported kinds.
    init(checking key: EVPKey) throws(CryptoError) {
        switch key.baseID {
        case EVP_PKEY_ED25519:
            kind = .ed25519
        case EVP_PKEY_EC:
            guard let group = key.utf8Parameter("group"), group == "prime256v1" || group == "P-256" else {
                throw CryptoError(.unsupportedKey, "only the P-256 curve is supported")
            }
            kind = .p256
        case EVP_PKEY_RSA:
            let bits = key.bits
            guard bits >= Self.minimumRSABits, bits <= Self.maximumRSABits else {
                throw CryptoError(.unsupportedKey,
                                  "RSA keys must have \(Self.minimumRSABits)–\(Self.maximumRSABits) bits, got \(bits)")
            }
            kind = .rsa(bits: bits)
        default:
            throw CryptoError(.unsupportedKey, "unsupported key type (OpenSSL id \(key.baseID))")
        }
        self.key = key
    }

    /// An Ed25519 public key from its 32-byte encoding (RFC 8032).
    ///
    /// - Throws: ``CryptoError/Code/invalidKey`` if `ed25519Raw` is not 32 bytes.
    public init(ed25519Raw: [UInt8]) throws(CryptoError) {
        guard ed25519Raw.count == 32 else {
            throw CryptoError(.invalidKey, "an Ed25519 public key is 32 bytes, got \(ed25519Raw.count)")
        }
        let created = ed25519Raw.withUnsafeBufferPointer {
            EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, $0.baseAddress, 32)
        }
        guard let created else { throw .fromOpenSSL(.invalidKey, "OpenSSL rejected the Ed25519 public key") }
        try self.init(checking: EVPKey(taking: created))
    }

    /// A P-256 public key from its uncompressed SEC 1 point `04 ‖ X ‖ Y` (65 bytes).
    ///
    /// - Throws: ``CryptoError/Code/invalidKey`` for any other length or prefix, or a point that is
    ///   not on the curve.
    public init(p256Point: [UInt8]) throws(CryptoError) {
        guard p256Point.count == 65, p256Point[0] == 0x04 else {
            throw CryptoError(.invalidKey, "a P-256 public key must be an uncompressed point (65 bytes starting 04)")
        }
        let parameters = try ParameterSet()
        try parameters.add("group", utf8: "prime256v1")
        try parameters.add("pub", octets: p256Point)
        let key = try Self.importPublic(algorithm: "EC", parameters: parameters)
        try Self.checkPublic(key)
        try self.init(checking: key)
    }

    /// An RSA public key from its modulus and public exponent (unsigned big-endian; leading zero
    /// bytes are ignored).
    ///
    /// - Throws: ``CryptoError/Code/invalidKey`` for an even or tiny exponent or an empty modulus,
    ///   ``CryptoError/Code/unsupportedKey`` for a modulus outside 2048–16384 bits.
    public init(rsaModulus: [UInt8], exponent: [UInt8]) throws(CryptoError) {
        let modulus = Array(rsaModulus.drop(while: { $0 == 0 }))
        let exponent = Array(exponent.drop(while: { $0 == 0 }))
        guard !modulus.isEmpty, modulus.last! & 1 == 1 else {
            throw CryptoError(.invalidKey, "the RSA modulus must be odd and non-zero")
        }
        guard !exponent.isEmpty, exponent.count <= 8, exponent.last! & 1 == 1,
              exponent != [1] else {
            throw CryptoError(.invalidKey, "the RSA exponent must be odd, greater than 1 and at most 64 bits")
        }
        let parameters = try ParameterSet()
        try parameters.add("n", bigEndian: modulus)
        try parameters.add("e", bigEndian: exponent)
        try self.init(checking: Self.importPublic(algorithm: "RSA", parameters: parameters))
    }

    /// Imports public key material from an OSSL_PARAM array.
    private static func importPublic(algorithm: String, parameters: ParameterSet) throws(CryptoError) -> EVPKey {
        let context = try KeyContext(algorithmName: algorithm)
        guard EVP_PKEY_fromdata_init(context.pointer) == 1 else {
            throw .fromOpenSSL(.internalError, "EVP_PKEY_fromdata_init failed")
        }
        var created: OpaquePointer? = nil
        // EVP_PKEY_PUBLIC_KEY: the public key plus all domain parameters.
        let selection = Int32(OSSL_KEYMGMT_SELECT_PUBLIC_KEY | OSSL_KEYMGMT_SELECT_DOMAIN_PARAMETERS
            | OSSL_KEYMGMT_SELECT_OTHER_PARAMETERS)
        guard EVP_PKEY_fromdata(context.pointer, &created, selection, try parameters.parameters()) == 1,
              let created else {
            throw .fromOpenSSL(.invalidKey, "OpenSSL rejected the \(algorithm) public key")
        }
        return EVPKey(taking: created)
    }

    /// Full public-key validation for EC keys (on the curve, not the identity, right order).
    static func checkPublic(_ key: EVPKey) throws(CryptoError) {
        let context = try KeyContext(key: key)
        guard EVP_PKEY_public_check(context.pointer) == 1 else {
            throw .fromOpenSSL(.invalidKey, "the EC public key is not a valid point")
        }
    }

    public var description: String { "PublicKey(\(kind))" }

    public static func == (lhs: PublicKey, rhs: PublicKey) -> Bool {
        lhs.key === rhs.key || lhs.spkiDER == rhs.spkiDER
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(spkiDER) }
}
