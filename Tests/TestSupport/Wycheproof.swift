// One loader for every Wycheproof file any test target uses (signature verification and AEAD
// groups), so the JSON shape is decoded once and each test only states its verdict rule.
// Files live in ../shared/testvectors/wycheproof (C2SP/wycheproof testvectors_v1).

import Foundation
import SoftCrypto

/// The verdict a Wycheproof test expects.
public enum WycheproofResult: String, Decodable, Sendable {
    case valid, invalid, acceptable
}

/// A Wycheproof file: header fields plus typed groups.
public struct WycheproofFile<Group: Decodable & Sendable>: Decodable, Sendable {
    public let algorithm: String
    public let numberOfTests: Int
    public let testGroups: [Group]

    /// Total tests over all groups, to check nothing was skipped.
    public func count<T>(_ tests: KeyPath<Group, [T]>) -> Int { testGroups.reduce(0) { $0 + $1[keyPath: tests].count } }
}

/// One signature-verification test (`EddsaVerify`, `EcdsaVerify`, `EcdsaP1363Verify`,
/// `RsassaPkcs1Verify`, `RsassaPssVerify`).
public struct WycheproofSignatureTest: Decodable, Sendable {
    public let tcId: Int
    public let comment: String
    public let flags: [String]
    public let result: WycheproofResult
    private let msg: String
    private let sig: String
    public var message: [UInt8] { [UInt8](hexString: msg) ?? [] }
    public var signature: [UInt8] { [UInt8](hexString: sig) ?? [] }
}

/// The raw key description of a signature group (fields depend on the key type).
public struct WycheproofRawPublicKey: Decodable, Sendable {
    /// Ed25519 public key (hex).
    public let pk: String?
    /// EC uncompressed point (hex).
    public let uncompressed: String?
    /// RSA modulus and exponent (hex, possibly with a leading 00).
    public let modulus: String?
    public let publicExponent: String?
}

/// A group of signature tests sharing one public key.
public struct WycheproofSignatureGroup: Decodable, Sendable {
    private let publicKeyDer: String
    public let publicKeyPem: String
    public let publicKey: WycheproofRawPublicKey
    /// The group's JWK as string members, when the file carries one (`publicKeyJwk` or `keyJwk`).
    public let jwk: [String: String]?
    /// PSS salt length.
    public let sLen: Int?
    public let tests: [WycheproofSignatureTest]

    public var spkiDER: [UInt8] { [UInt8](hexString: publicKeyDer) ?? [] }

    enum CodingKeys: String, CodingKey {
        case publicKeyDer, publicKeyPem, publicKey, publicKeyJwk, keyJwk, sLen, tests
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        publicKeyDer = try container.decode(String.self, forKey: .publicKeyDer)
        publicKeyPem = try container.decode(String.self, forKey: .publicKeyPem)
        publicKey = try container.decode(WycheproofRawPublicKey.self, forKey: .publicKey)
        jwk = try container.decodeIfPresent([String: String].self, forKey: .publicKeyJwk)
            ?? container.decodeIfPresent([String: String].self, forKey: .keyJwk)
        sLen = try container.decodeIfPresent(Int.self, forKey: .sLen)
        tests = try container.decode([WycheproofSignatureTest].self, forKey: .tests)
    }
}

/// One AEAD test.
public struct WycheproofAEADTest: Decodable, Sendable {
    public let tcId: Int
    public let comment: String
    public let flags: [String]
    public let result: WycheproofResult
    private let key, iv, aad, msg, ct, tag: String
    public var keyBytes: [UInt8] { [UInt8](hexString: key) ?? [] }
    public var nonce: [UInt8] { [UInt8](hexString: iv) ?? [] }
    public var associatedData: [UInt8] { [UInt8](hexString: aad) ?? [] }
    public var plaintext: [UInt8] { [UInt8](hexString: msg) ?? [] }
    public var ciphertext: [UInt8] { [UInt8](hexString: ct) ?? [] }
    public var tagBytes: [UInt8] { [UInt8](hexString: tag) ?? [] }
}

/// A group of AEAD tests with fixed sizes (bits).
public struct WycheproofAEADGroup: Decodable, Sendable {
    public let keySize: Int
    public let ivSize: Int
    public let tagSize: Int
    public let tests: [WycheproofAEADTest]
}

/// Loads Wycheproof files from the shared folder.
public enum Wycheproof {
    /// Decodes `../shared/testvectors/wycheproof/<fileName>` with groups of type `Group`.
    public static func load<Group: Decodable & Sendable>(_ fileName: String,
                                                         as _: Group.Type = Group.self) throws -> WycheproofFile<Group> {
        let data = Data(try SharedTestData.bytes("testvectors/wycheproof/" + fileName))
        return try JSONDecoder().decode(WycheproofFile<Group>.self, from: data)
    }
}
