// Shared fixtures for the credential tests: sample credentials of both data models, a fresh
// software signer, and a way to sign arbitrary JWS headers/payloads so rejection tests can
// present validly signed but otherwise wrong tokens.

import Credentials
import SoftCrypto

enum Fixtures {
    static let issuanceTime = XSDDateTime(epochSeconds: 1_735_689_600)  // 2025-01-01T00:00:00Z

    /// A VCDM 2.0 credential without issuer or validFrom (both are filled at issuance).
    static func credential20() throws -> JSONValue {
        try JSONParser.parse("""
        {"@context":["https://www.w3.org/ns/credentials/v2","https://www.w3.org/ns/credentials/examples/v2"],
         "id":"urn:uuid:0b4ed1e0-0b3a-4a8b-9d35-8f8d0f5c1e01","type":["VerifiableCredential","ExampleDegreeCredential"],
         "credentialSubject":{"id":"did:example:ebfeb1f712ebc6f1c276e12ec21",
           "degree":{"type":"ExampleBachelorDegree","name":"Bachelor of Science and Arts \\u00e9\\ud83d\\ude00"},
           "gpa":3.85,"credits":120}}
        """)
    }

    /// A VCDM 1.1 credential with an expiry and without issuer or issuanceDate.
    static func credential11() throws -> JSONValue {
        try JSONParser.parse("""
        {"@context":["https://www.w3.org/2018/credentials/v1","https://www.w3.org/2018/credentials/examples/v1"],
         "id":"http://example.edu/credentials/1872","type":["VerifiableCredential","AlumniCredential"],
         "expirationDate":"2030-01-01T00:00:00Z",
         "credentialSubject":{"id":"did:example:ebfeb1f712ebc6f1c276e12ec21","alumniOf":"Example University"}}
        """)
    }

    static func signer() throws -> SoftwareCredentialSigner { try SoftwareCredentialSigner.generate() }

    /// Prepares `credential` for `signer` (issuer and date filled).
    static func prepared(_ credential: JSONValue, for signer: SoftwareCredentialSigner,
                         format: SecuringFormat) throws -> JSONValue {
        try CredentialPreparation.prepare(credential, issuer: signer.didKey, issuanceTime: issuanceTime, format: format)
    }

    static func issueJWT(_ credential: JSONValue, _ signer: SoftwareCredentialSigner) async throws -> String {
        try await VCJWT.issue(credential: prepared(credential, for: signer, format: .jwt), signer: signer)
    }

    static func issueDI(_ credential: JSONValue, _ signer: SoftwareCredentialSigner) async throws -> JSONValue {
        try await EddsaJcs2022.issue(document: prepared(credential, for: signer, format: .dataIntegrity), signer: signer,
                                     created: issuanceTime)
    }

    /// A compact JWS over exactly these header and payload texts, signed by `signer`'s key.
    static func signedJWS(header: String, payload: String, signer: SoftwareCredentialSigner) throws -> String {
        let input = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array(payload.utf8))
        return input + "." + Base64URL.encode(try signer.key.sign(Array(input.utf8)))
    }

    static func text(_ value: JSONValue) throws -> String { String(decoding: try JCS.canonicalize(value), as: UTF8.self) }
}
