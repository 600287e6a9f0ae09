// The issuance shape check and preparation helpers: each rule fires on its own input, and the
// issuer/date filling follows the documented policy.

import Testing
import Credentials
import SoftCrypto

@Suite struct CredentialShapeTests {
    static func rules(_ json: String, stage: CredentialShape.Stage = .input) throws -> [String] {
        CredentialShape.check(try JSONParser.parse(json), stage: stage).problems.map(\.rule)
    }

    static let base = #""@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"],"credentialSubject":{"name":"x"}"#

    @Test func acceptsMinimalCredentials() throws {
        #expect(try Self.rules("{\(Self.base)}").isEmpty)
        #expect(CredentialShape.check(try JSONParser.parse("{\(Self.base)}")).version == .v2_0)
        let v11 = #"{"@context":"https://www.w3.org/2018/credentials/v1","type":"VerifiableCredential","credentialSubject":[{"id":"did:example:1"}]}"#
        let report = CredentialShape.check(try JSONParser.parse(v11))
        #expect(report.isAcceptable && report.version == .v1_1)
    }

    @Test(arguments: [
        (#"[1]"#, "document.notObject"),
        (#"{"type":["VerifiableCredential"],"credentialSubject":{"a":1}}"#, "context.missing"),
        (#"{"@context":["https://www.w3.org/ns/credentials/examples/v2"],"type":["VerifiableCredential"],"credentialSubject":{"a":1}}"#, "context.base"),
        (#"{"@context":[],"type":["VerifiableCredential"],"credentialSubject":{"a":1}}"#, "context.base"),
        (#"{"@context":["https://www.w3.org/ns/credentials/v2",7],"type":["VerifiableCredential"],"credentialSubject":{"a":1}}"#, "context.entry"),
        (#"{"@context":["https://www.w3.org/ns/credentials/v2","https ://bad"],"type":["VerifiableCredential"],"credentialSubject":{"a":1}}"#, "context.entry"),
        (#"{"@context":["https://www.w3.org/ns/credentials/v2"],"credentialSubject":{"a":1}}"#, "type.missing"),
        (#"{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["Other"],"credentialSubject":{"a":1}}"#, "type.missingVerifiableCredential"),
        (#"{"@context":["https://www.w3.org/ns/credentials/v2"],"type":[1],"credentialSubject":{"a":1}}"#, "type.invalid"),
        (#"{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"VerifiableCredential"}"#, "credentialSubject.missing"),
        (#"{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"VerifiableCredential","credentialSubject":{}}"#, "credentialSubject.empty"),
        (#"{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"VerifiableCredential","credentialSubject":[]}"#, "credentialSubject.empty"),
        (#"{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"VerifiableCredential","credentialSubject":[{"a":1},{}]}"#, "credentialSubject.empty"),
        (#"{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"VerifiableCredential","credentialSubject":"did:example:1"}"#, "credentialSubject.invalid"),
        (#"{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"VerifiableCredential","credentialSubject":{"id":"me"}}"#, "credentialSubject.id"),
        (#"{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"VerifiableCredential","credentialSubject":{"a":1},"issuer":"fake-issuer"}"#, "issuer.notURL"),
        (#"{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"VerifiableCredential","credentialSubject":{"a":1},"issuer":{"id":null}}"#, "issuer.notURL"),
        (#"{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"VerifiableCredential","credentialSubject":{"a":1},"issuer":null}"#, "issuer.invalid"),
        (#"{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"VerifiableCredential","credentialSubject":{"a":1},"id":["urn:a","urn:b"]}"#, "id.notURL"),
        (#"{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"VerifiableCredential","credentialSubject":{"a":1},"validFrom":"2024-13-01T00:00:00Z"}"#, "validFrom.invalid"),
        (#"{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"VerifiableCredential","credentialSubject":{"a":1},"validUntil":"2024-01-01T00:00:00"}"#, "validUntil.noTimezone"),
        (#"{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"VerifiableCredential","credentialSubject":{"a":1},"validFrom":"2025-01-01T00:00:00Z","validUntil":"2024-01-01T00:00:00Z"}"#, "validity.order"),
        (#"{"@context":["https://www.w3.org/2018/credentials/v1"],"type":"VerifiableCredential","credentialSubject":{"a":1},"issuanceDate":"soon"}"#, "issuanceDate.invalid"),
        (#"{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"VerifiableCredential","credentialSubject":{"a":1},"credentialStatus":{"id":"urn:s"}}"#, "credentialStatus.type"),
        (#"{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"VerifiableCredential","credentialSubject":{"a":1},"credentialStatus":{"type":2}}"#, "credentialStatus.type"),
        (#"{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"VerifiableCredential","credentialSubject":{"a":1},"credentialStatus":[{"type":"S","id":["urn:a"]}]}"#, "credentialStatus.id"),
        (#"{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"VerifiableCredential","credentialSubject":{"a":1},"credentialSchema":{"type":"JsonSchema"}}"#, "credentialSchema.id"),
        (#"{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"VerifiableCredential","credentialSubject":{"a":1},"evidence":"urn:e"}"#, "evidence.invalid"),
        (#"{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"VerifiableCredential","credentialSubject":{"a":1},"termsOfUse":{}}"#, "termsOfUse.type"),
        (#"{"@context":["https://www.w3.org/2018/credentials/v1"],"type":"VerifiableCredential","credentialSubject":{"a":1},"refreshService":{"type":"R"}}"#, "refreshService.id"),
        (#"{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"VerifiableCredential","credentialSubject":{"a":1},"name":{"@value":"x","url":"y"}}"#, "name.invalid"),
        (#"{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"VerifiableCredential","credentialSubject":{"a":1},"description":7}"#, "description.invalid"),
        (#"{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"VerifiableCredential","credentialSubject":{"a":1},"issuer":{"name":[{"@language":"en"}]}}"#, "issuer.name.invalid"),
    ])
    func rulesFire(json: String, rule: String) throws {
        let found = try Self.rules(json)
        #expect(found.contains(rule), "\(json) → \(found)")
    }

    @Test func languageValuesAndOptionalIDsAreAccepted() throws {
        let ok = #"{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"VerifiableCredential","credentialSubject":{"a":1},"# +
            #""name":[{"@value":"Dog","@language":"en","@direction":"ltr"},"Hund"],"credentialStatus":{"type":"S"},"# +
            #""issuer":{"id":"did:example:1","description":{"@value":"d"}}}"#
        #expect(try Self.rules(ok).isEmpty)
    }

    @Test func issuedStageRequiresIssuerAndIssuanceDate() throws {
        #expect(try Self.rules("{\(Self.base)}", stage: .issued) == ["issuer.missing"])
        let v11 = #"{"@context":["https://www.w3.org/2018/credentials/v1"],"type":"VerifiableCredential","credentialSubject":{"a":1},"issuer":{}}"#
        #expect(try Self.rules(v11, stage: .issued) == ["issuer.missing", "issuanceDate.missing"])
    }

    @Test func preparationFillsIssuerAndDate() throws {
        let signer = try Fixtures.signer()
        let did = signer.didKey.did
        func prepare(_ json: String, policy: IssuerPolicy = .fillIfMissing, format: SecuringFormat = .jwt) throws -> JSONValue {
            try CredentialPreparation.prepare(JSONParser.parse(json), issuer: signer.didKey, issuanceTime: Fixtures.issuanceTime,
                                              policy: policy, format: format)
        }
        let filled = try prepare("{\(Self.base)}")
        #expect(filled["issuer"] == .string(did))
        #expect(filled["validFrom"] == "2025-01-01T00:00:00Z")
        // Existing values are kept; an issuer object gets an id.
        let kept = try prepare("{\(Self.base),\"validFrom\":\"2020-01-01T00:00:00Z\",\"issuer\":{\"name\":\"Uni\"}}")
        #expect(kept["validFrom"] == "2020-01-01T00:00:00Z")
        #expect(kept["issuer"] == .object(["name": "Uni", "id": .string(did)]))
        #expect(try prepare("{\(Self.base),\"issuer\":\"\(did)\"}")["issuer"] == .string(did))
        // A different issuer is refused unless overwriting is asked for.
        let mismatch = #expect(throws: CredentialError.self) { try prepare("{\(Self.base),\"issuer\":\"https://example.edu\"}") }
        #expect(mismatch?.code == .issuerMismatch)
        let objectMismatch = #expect(throws: CredentialError.self) { try prepare("{\(Self.base),\"issuer\":{\"id\":\"did:example:1\"}}") }
        #expect(objectMismatch?.code == .issuerMismatch)
        #expect(try prepare("{\(Self.base),\"issuer\":\"https://example.edu\"}", policy: .overwrite)["issuer"] == .string(did))
        let null = #expect(throws: CredentialError.self) { try prepare("{\(Self.base),\"issuer\":null}") }
        #expect(null?.code == .invalidCredential)
        // 1.1: issuanceDate; for Data Integrity the DI context is appended once.
        let v11 = #"{"@context":["https://www.w3.org/2018/credentials/v1"],"type":"VerifiableCredential","credentialSubject":{"a":1}}"#
        #expect(try prepare(v11)["issuanceDate"] == "2025-01-01T00:00:00Z")
        #expect(try prepare(v11)["@context"] == ["https://www.w3.org/2018/credentials/v1"])
        let di = try prepare(v11, format: .dataIntegrity)
        #expect(di["@context"] == ["https://www.w3.org/2018/credentials/v1", .string(dataIntegrityContextV2)])
        // Shape problems are reported, all at once.
        let bad = #expect(throws: CredentialError.self) { try prepare(#"{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"X"}"#) }
        #expect(bad?.code == .invalidCredential)
        #expect(bad?.message.contains("type.missingVerifiableCredential") == true && bad?.message.contains("credentialSubject.missing") == true)
        let proof = #expect(throws: CredentialError.self) { try prepare("{\(Self.base),\"proof\":{}}") }
        #expect(proof?.code == .invalidCredential)
    }
}
