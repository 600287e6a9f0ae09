// The strict verifier for both formats this service issues. Keys come only from did:key
// identifiers (no network, no embedded keys), algorithms only from the one we issue (EdDSA), and
// the credential must name the signing key's DID as its issuer — otherwise anyone with any key
// could sign a credential "from" someone else. Every refusal has its own error code.

/// Verifies VC-JWTs and `eddsa-jcs-2022` Data Integrity proofs.
public struct CredentialVerifier: Sendable {
    /// Verification policy.
    public struct Options: Sendable {
        /// Require the credential's issuer to be the DID of the signing key. Turn off only to
        /// check a signature in isolation (e.g. a published test vector whose issuer is an https URL).
        public var requireIssuerMatchesKey: Bool
        /// Limits for parsing untrusted JSON.
        public var json: JSONParser.Options
        /// Largest compact JWS accepted, in bytes.
        public var maxJWSBytes: Int
        /// When set, the credential must be valid at this time: validFrom/issuanceDate not after
        /// it, validUntil/expirationDate and a Data Integrity proof's `expires` not before it.
        /// When nil (the default) only signatures and structure are checked.
        public var validAt: XSDDateTime?

        public init(requireIssuerMatchesKey: Bool = true, json: JSONParser.Options = .init(),
                    maxJWSBytes: Int = 4 << 20, validAt: XSDDateTime? = nil) {
            self.requireIssuerMatchesKey = requireIssuerMatchesKey
            self.json = json
            self.maxJWSBytes = maxJWSBytes
            self.validAt = validAt
        }
    }

    public let options: Options
    /// did:key resolutions already done by this verifier (and its copies).
    let resolvedKeys = DIDKeyResolutionCache()

    public init(options: Options = Options()) { self.options = options }

    func parse(_ bytes: [UInt8], what: String) throws(CredentialError) -> JSONValue {
        do {
            return try JSONParser(options: options.json).parse(bytes)
        } catch {
            throw CredentialError(.invalidJSON, "\(what) is not strict JSON: \(error)", cause: error)
        }
    }

    /// Checks the credential structure and the issuer binding; returns version and issuer.
    func checkCredential(_ credential: JSONValue, expected version: VCVersion?,
                         key: DIDKey) throws(CredentialError) -> (VCVersion, String) {
        let report = CredentialShape.check(credential, stage: .issued)
        guard report.isAcceptable, let found = report.version else {
            throw CredentialError(.invalidCredential, "not an acceptable credential: \(report)")
        }
        if let version, version != found {
            throw CredentialError(.wrongMediaType, "the media type says \(version) but the credential is \(found)")
        }
        guard let issuer = CredentialPreparation.issuerID(of: credential) else {
            throw CredentialError(.invalidCredential, "the credential has no issuer id")
        }
        if options.requireIssuerMatchesKey, !scalarsEqual(issuer, key.did) {
            throw CredentialError(.issuerMismatch, "issuer \(issuer) did not sign this; the key is \(key.did)")
        }
        if let now = options.validAt {
            // The shape check has already proven these are well-formed dates.
            if let text = credential[found.validFromMember]?.stringValue, let from = try? XSDDateTime(text),
               from.epochSeconds > now.epochSeconds {
                throw CredentialError(.notYetValid, "\(found.validFromMember) \(text) is after \(now.utcText)")
            }
            if let text = credential[found.validUntilMember]?.stringValue, let until = try? XSDDateTime(text),
               until.epochSeconds < now.epochSeconds {
                throw CredentialError(.expired, "\(found.validUntilMember) \(text) is before \(now.utcText)")
            }
        }
        return (found, issuer)
    }

    func verifySignature(_ signature: [UInt8], message: [UInt8], key: DIDKey) throws(CredentialError) {
        guard signature.count == 64 else {
            throw CredentialError(.invalidSignature, "an Ed25519 signature is 64 bytes, got \(signature.count)")
        }
        let valid: Bool
        do {
            valid = try key.publicKey.isValidSignature(signature, for: message, algorithm: .ed25519)
        } catch {
            throw CredentialError(.invalidSignature, "signature check failed", cause: error)
        }
        guard valid else { throw CredentialError(.invalidSignature, "the signature does not verify under \(key.verificationMethodID)") }
    }
}
