// did:key: the W3C vc-di-eddsa test key pair as a known answer (seed → publicKeyMultibase),
// verification method ids, the DID document, and every class of malformed identifier with its
// distinct error code.

import Testing
import Credentials
import SoftCrypto
import TestSupport

@Suite struct DIDKeyTests {
    /// The published W3C vc-di-eddsa test key pair (`keyPair.json`); test use only.
    static func w3cTestKey() throws -> (signer: SoftwareCredentialSigner, publicMultibase: String) {
        let pair = try JSONParser.parse(SharedTestData.bytes("credentials/w3c-vc-di-eddsa/keyPair.json"))
        let privateMultibase = try #require(pair["privateKeyMultibase"]?.stringValue)
        let decoded = try Multibase.decodeBase58BTC(privateMultibase)
        let (codec, length) = try Multicodec.decodeVarint(decoded)
        #expect(codec == Multicodec.ed25519PrivateKey)
        let seed = Array(decoded[length...])
        #expect(seed.count == 32)
        let signer = try SoftwareCredentialSigner(key: SoftwareSigningKey(ed25519Seed: seed))
        return (signer, try #require(pair["publicKeyMultibase"]?.stringValue))
    }

    @Test func w3cKeyPairKnownAnswer() throws {
        let (signer, publicMultibase) = try Self.w3cTestKey()
        #expect(signer.didKey.multibaseKey == publicMultibase)
        #expect(signer.didKey.did == "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2")
        #expect(signer.verificationMethod
            == "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2")
        #expect(signer.didKey.publicKey.rawRepresentation?.hexString
            == "b00d8d938e7f773d51565aad36a623f5344f7f5d1960f9cf3e8e12620ea2810f")
    }

    @Test func roundTripsAndDocument() throws {
        for _ in 0..<20 {
            let key = try DIDKey(publicKey: SoftwareSigningKey.generate(.ed25519).publicKey)
            #expect(key.did.hasPrefix("did:key:z6Mk"))
            #expect(try DIDKey(did: key.did) == key)
            #expect(try DIDKey(verificationMethod: key.verificationMethodID) == key)
            #expect(try DIDKey(multibaseKey: key.multibaseKey).publicKey == key.publicKey)
        }
        let key = try Self.w3cTestKey().signer.didKey
        let document = key.document
        #expect(document["id"] == .string(key.did))
        #expect(document["@context"] == ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"])
        let method = try #require(document["verificationMethod"]?.arrayValue?.first)
        #expect(method["type"] == "Multikey")
        #expect(method["id"] == .string(key.verificationMethodID))
        #expect(method["controller"] == .string(key.did))
        #expect(method["publicKeyMultibase"] == .string(key.multibaseKey))
        for relation in ["authentication", "assertionMethod", "capabilityInvocation", "capabilityDelegation"] {
            #expect(document[relation] == [.string(key.verificationMethodID)])
        }
        #expect(document["keyAgreement"] == nil)
    }

    @Test(arguments: [
        ("did:web:example.com", "notDIDKey"),
        ("did:key", "notDIDKey"),
        ("did:key:", "notDIDKey"),
        ("DID:KEY:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2", "notDIDKey"),
        ("did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2/path", "notDIDKey"),
        ("did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2?query", "notDIDKey"),
        ("did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#frag", "notDIDKey"),
        ("did:key:1:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2", "notDIDKey"),
        ("did:key:u7QGwDY2Tjn93PVFWWq02piP1NE9_XRlg-c8-jhJiDqKBDw", "wrongMultibasePrefix"),
        ("did:key:6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2", "wrongMultibasePrefix"),
        ("did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ0", "invalidBase58"),
        ("did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQl", "invalidBase58"),
        ("did:key:zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169", "wrongCodec"),
        ("did:key:z6LSbysY2xFMRpGMhb7tFTLMpeuPRaqaWM1yECx2AtzE3KCc", "wrongCodec"),
        ("did:key:z2DQUyFHStG42FqbEhyM6LhkEqqV45NGGqKCwNxVWWu7Yzj", "wrongKeyLength"),
        ("did:key:zQebeJyLcziHBQxE7NwXYwvqBdyYXvZbuctgvB7GWAED7Q8z3", "wrongKeyLength"),
        ("did:key:zQhVUSQC2YZFXuBdch7iZCadyfqqvCzhy3JHARYRVqGxkny2n", "invalidVarint"),
    ])
    func malformedDIDs(text: String, code: String) {
        let error = #expect(throws: CredentialError.self) { try DIDKey(did: text) }
        #expect(error?.code.name == code, "\(text): \(String(describing: error))")
    }

    @Test func verificationMethodFragments() throws {
        let did = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
        for text in [did, did + "#", did + "#key-1", did + "#z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"] {
            let error = #expect(throws: CredentialError.self) { try DIDKey(verificationMethod: text) }
            #expect(error?.code == .invalidVerificationMethod, "\(text)")
        }
        let error = #expect(throws: CredentialError.self) { try DIDKey(verificationMethod: "did:web:x#z6Mk") }
        #expect(error?.code == .notDIDKey)
    }

    @Test func onlyEd25519Keys() throws {
        let error = #expect(throws: CredentialError.self) { try DIDKey(publicKey: SoftwareSigningKey.generate(.p256).publicKey) }
        #expect(error?.code == .wrongCodec)
        let length = #expect(throws: CredentialError.self) { try DIDKey(ed25519Raw: [1, 2, 3]) }
        #expect(length?.code == .wrongKeyLength)
    }
}
