// The signature algorithms the benchmark runs side by side: the key generated in the token, the
// PKCS#11 mechanism, and the OpenSSL key type for the raw (physical-limit) loop.

import PKCS11

enum BenchAlgorithm: String, CaseIterable {
    case ed25519
    case ecdsaP256 = "ecdsa_p256"
    case rsa2048 = "rsa2048"

    var keySpec: KeySpec {
        switch self {
        case .ed25519: .ed25519
        case .ecdsaP256: .ecdsaP256
        case .rsa2048: .rsa2048
        }
    }

    var mechanism: SignatureMechanism {
        switch self {
        case .ed25519: .ed25519
        case .ecdsaP256: .ecdsaP256SHA256
        case .rsa2048: .rsaPKCS1SHA256
        }
    }

    /// Parses a comma-separated list (`all` = every algorithm).
    static func list(_ text: String) -> [BenchAlgorithm] {
        if text == "all" { return allCases }
        return text.split(separator: ",").compactMap { BenchAlgorithm(rawValue: String($0)) }
    }
}
