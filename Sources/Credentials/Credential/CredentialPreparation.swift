// Turns an input document into what gets signed. The batch job receives credentials without an
// issuer and without a date (as the W3C VC 2.0 suite's harness does: it fills `issuer`, or
// `issuer.id`, with the issuing endpoint's identifier). We fill:
// - `issuer` with the signing key's did:key when missing (or `issuer.id` when issuer is an
//   object without id); an explicit `null` is refused; a different issuer is refused unless the
//   caller asks to overwrite it — a credential must never claim an issuer whose key did not sign.
// - VCDM 2.0 `validFrom` / VCDM 1.1 `issuanceDate` with the issuance time when missing. 1.1
//   requires issuanceDate; 2.0 makes validFrom optional, but recording when the credential became
//   valid is what verifiers expect, so we set it too. Existing values are never changed.
// - for Data Integrity proofs on VCDM 1.1 documents, the Data Integrity context, since the 1.1
//   base context does not define `DataIntegrityProof` (2.0's does).

/// How to treat an issuer already present in the input.
public enum IssuerPolicy: Sendable {
    /// Fill a missing issuer; refuse a different one (``CredentialError/Code/issuerMismatch``).
    case fillIfMissing
    /// Replace whatever issuer the document names (for test harnesses and migrations).
    case overwrite
}

/// The securing mechanism a credential is prepared for.
public enum SecuringFormat: Sendable, Hashable {
    /// VC-JOSE-COSE compact JWS (`vc+jwt`) for 2.0; a VCDM 1.1 JWT (`vc` claim) for 1.1.
    case jwt
    /// Data Integrity `eddsa-jcs-2022`.
    case dataIntegrity
}

/// Fills in issuer and dates before signing.
public enum CredentialPreparation {
    /// Returns `credential` ready to sign by `issuer`.
    ///
    /// - Parameters:
    ///   - issuanceTime: the time to record when a date is missing (UTC, whole seconds).
    /// - Throws: ``CredentialError/Code/invalidCredential`` listing every shape problem (before
    ///   and after filling), ``CredentialError/Code/issuerMismatch`` per `policy`.
    public static func prepare(_ credential: JSONValue, issuer: DIDKey, issuanceTime: XSDDateTime,
                               policy: IssuerPolicy = .fillIfMissing, format: SecuringFormat) throws(CredentialError) -> JSONValue {
        let report = CredentialShape.check(credential, stage: .input)
        guard report.isAcceptable, let version = report.version, var object = credential.objectValue else {
            throw CredentialError(.invalidCredential, "not an acceptable credential: \(report)")
        }
        if object.contains("proof") {
            throw CredentialError(.invalidCredential, "the input already carries a proof; adding to proof sets is not supported")
        }
        try fillIssuer(&object, did: issuer.did, policy: policy)
        if object[version.validFromMember] == nil {
            object[version.validFromMember] = .string(issuanceTime.utcText)
        }
        if format == .dataIntegrity, version == .v1_1 {
            var contexts = object["@context"]?.arrayValue ?? [object["@context"] ?? .null]
            if !contexts.contains(.string(dataIntegrityContextV2)) {
                contexts.append(.string(dataIntegrityContextV2))
                object["@context"] = .array(contexts)
            }
        }
        let prepared = JSONValue.object(object)
        let final = CredentialShape.check(prepared, stage: .issued)
        guard final.isAcceptable else {
            throw CredentialError(.invalidCredential, "not an acceptable credential after preparation: \(final)")
        }
        return prepared
    }

    private static func fillIssuer(_ object: inout JSONObject, did: String, policy: IssuerPolicy) throws(CredentialError) {
        switch object["issuer"] {
        case nil:
            object["issuer"] = .string(did)
        case .null?:
            throw CredentialError(.invalidCredential, "issuer is explicitly null")
        case .string(let existing)?:
            guard !scalarsEqual(existing, did) else { return }
            guard policy == .overwrite else {
                throw CredentialError(.issuerMismatch, "the credential names issuer \(existing), but the signing key is \(did)")
            }
            object["issuer"] = .string(did)
        case .object(var issuerObject)?:
            if let existing = issuerObject["id"] {
                guard existing.stringValue.map({ !scalarsEqual($0, did) }) ?? true else { return }
                guard policy == .overwrite else {
                    throw CredentialError(.issuerMismatch, "the credential names issuer \(existing), but the signing key is \(did)")
                }
            }
            issuerObject["id"] = .string(did)
            object["issuer"] = .object(issuerObject)
        default:
            throw CredentialError(.invalidCredential, "issuer must be a URL or an object")
        }
    }

    /// The issuer id of a credential: the `issuer` string or `issuer.id`.
    public static func issuerID(of credential: JSONValue) -> String? {
        guard let issuer = credential["issuer"] else { return nil }
        return issuer.stringValue ?? issuer["id"]?.stringValue
    }
}
