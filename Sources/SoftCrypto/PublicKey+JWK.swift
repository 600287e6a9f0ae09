// JSON Web Key (RFC 7517; RFC 7518 §6 for EC/RSA; RFC 8037 for Ed25519 "OKP") import and export.
// DID documents, JWKS endpoints and the VC-JOSE-COSE test suite carry keys this way. Export emits
// only the required public members in lexicographic order, which is also the RFC 7638 thumbprint
// input. Import is strict: exact coordinate lengths, minimal RSA integers, no private members.
// JWKs are small and rare, so Foundation's JSON parser is used here (last duplicate member wins);
// the credential hot path uses the Credentials module's own strict parser instead.

import Foundation

extension PublicKey {
    /// A public key from JWK JSON text (UTF-8 bytes of one JSON object).
    ///
    /// - Throws: ``CryptoError/Code/invalidKey`` for malformed JSON, missing or malformed members,
    ///   or private-key members; ``CryptoError/Code/unsupportedKey`` for other key types/curves.
    public init(jwk json: [UInt8]) throws(CryptoError) {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(json))
        } catch {
            throw CryptoError(.invalidKey, "JWK is not valid JSON")
        }
        guard let dictionary = object as? [String: Any] else {
            throw CryptoError(.invalidKey, "a JWK must be a JSON object")
        }
        var members: [String: String] = [:]
        for (name, value) in dictionary {
            if let text = value as? String {
                members[name] = text
            } else if ["kty", "crv", "x", "y", "n", "e", "d", "use", "alg", "kid"].contains(name) {
                throw CryptoError(.invalidKey, "JWK member \"\(name)\" must be a string")
            }
            // Other members (key_ops, x5c, ...) are not needed to verify and are ignored.
        }
        for privateMember in ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] where dictionary[privateMember] != nil {
            throw CryptoError(.invalidKey, "JWK contains the private member \"\(privateMember)\"")
        }
        try self.init(jwkMembers: members)
    }

    /// A public key from the string members of a JWK (`kty`, `crv`, `x`, `y`, `n`, `e`, and the
    /// optional `use`/`alg` which must fit the key if present).
    ///
    /// - Throws: as ``init(jwk:)``.
    public init(jwkMembers members: [String: String]) throws(CryptoError) {
        func required(_ name: String) throws(CryptoError) -> [UInt8] {
            guard let text = members[name] else { throw CryptoError(.invalidKey, "JWK lacks \"\(name)\"") }
            do {
                return try Base64URL.decode(text)
            } catch {
                throw CryptoError(.invalidKey, "JWK member \"\(name)\": \(error.message)")
            }
        }
        if members["d"] != nil { throw CryptoError(.invalidKey, "JWK contains the private member \"d\"") }
        if let use = members["use"], use != "sig" {
            throw CryptoError(.invalidKey, "JWK \"use\" is \"\(use)\", expected \"sig\"")
        }
        guard let kty = members["kty"] else { throw CryptoError(.invalidKey, "JWK lacks \"kty\"") }
        let allowedAlgorithms: Set<String>
        switch kty {
        case "OKP":
            guard members["crv"] == "Ed25519" else {
                throw CryptoError(.unsupportedKey, "OKP JWK curve \(members["crv"] ?? "(none)") is not Ed25519")
            }
            let x = try required("x")
            guard x.count == 32 else { throw CryptoError(.invalidKey, "Ed25519 JWK \"x\" must be 32 bytes") }
            try self.init(ed25519Raw: x)
            allowedAlgorithms = ["EdDSA", "Ed25519"]
        case "EC":
            guard members["crv"] == "P-256" else {
                throw CryptoError(.unsupportedKey, "EC JWK curve \(members["crv"] ?? "(none)") is not P-256")
            }
            let x = try required("x"), y = try required("y")
            guard x.count == 32, y.count == 32 else {
                throw CryptoError(.invalidKey, "P-256 JWK coordinates must be exactly 32 bytes each")
            }
            try self.init(p256Point: [0x04] + x + y)
            allowedAlgorithms = ["ES256"]
        case "RSA":
            let n = try required("n"), e = try required("e")
            guard n.first != 0, e.first != 0 else {
                throw CryptoError(.invalidKey, "RSA JWK integers must not have leading zero bytes")
            }
            try self.init(rsaModulus: n, exponent: e)
            allowedAlgorithms = ["RS256", "PS256"]
        default:
            throw CryptoError(.unsupportedKey, "JWK key type \"\(kty)\" is not supported")
        }
        if let alg = members["alg"], !allowedAlgorithms.contains(alg) {
            throw CryptoError(.invalidKey, "JWK \"alg\" \(alg) does not fit a \(kind) key")
        }
    }

    /// The required public JWK members as (name, value) pairs in lexicographic name order.
    public var jwkMembers: [(name: String, value: String)] {
        switch kind {
        case .ed25519:
            return [("crv", "Ed25519"), ("kty", "OKP"), ("x", Base64URL.encode(rawRepresentation ?? []))]
        case .p256:
            let (x, y) = p256Coordinates ?? ([], [])
            return [("crv", "P-256"), ("kty", "EC"), ("x", Base64URL.encode(x)), ("y", Base64URL.encode(y))]
        case .rsa:
            let (n, e) = rsaComponents ?? ([], [])
            return [("e", Base64URL.encode(e)), ("kty", "RSA"), ("n", Base64URL.encode(n))]
        }
    }

    /// The JWK as compact JSON with only the required public members, sorted by name. This is
    /// also the exact input of the RFC 7638 thumbprint.
    public var jwk: String {
        // Every value is base64url or a fixed ASCII token, so no JSON escaping is needed.
        "{" + jwkMembers.map { "\"\($0.name)\":\"\($0.value)\"" }.joined(separator: ",") + "}"
    }

    /// The RFC 7638 JWK thumbprint (SHA-256 over ``jwk``).
    public var jwkThumbprint: [UInt8] { SHA256.hash(Array(jwk.utf8)) }
}
