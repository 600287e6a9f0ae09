// The one error type of the credentials library. The batch issuer reports per document why it
// was refused, and the verifier says exactly which rule a credential broke, so codes are
// fine-grained and each carries a sentence; lower-level causes (JSON offsets, OpenSSL queues)
// ride along.

/// A credential issuance or verification failure.
public struct CredentialError: Error, Sendable, CustomStringConvertible {
    /// The failure class. New codes may be added; switch with a default.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        // Input documents
        /// The input is not strict JSON (the cause is a ``JSONError`` with the offset).
        public static let invalidJSON = Code("invalidJSON")
        /// The document is not an acceptable verifiable credential (see ``CredentialShape``).
        public static let invalidCredential = Code("invalidCredential")
        /// The credential names a different issuer than the signing key's DID.
        public static let issuerMismatch = Code("issuerMismatch")
        /// A date/time value is not an XML Schema dateTime of the required form.
        public static let invalidDate = Code("invalidDate")
        /// The credential (or its proof) is not valid yet at the verification time.
        public static let notYetValid = Code("notYetValid")
        /// The credential (or its proof) has expired at the verification time.
        public static let expired = Code("expired")

        // Encodings and did:key
        /// A base58btc string contains a character outside the Bitcoin alphabet.
        public static let invalidBase58 = Code("invalidBase58")
        /// A multibase string does not start with the expected prefix (`z` for base58btc).
        public static let wrongMultibasePrefix = Code("wrongMultibasePrefix")
        /// A multicodec varint is truncated, overlong or too large.
        public static let invalidVarint = Code("invalidVarint")
        /// A did:key names a key type other than Ed25519 (multicodec 0xed).
        public static let wrongCodec = Code("wrongCodec")
        /// A did:key Ed25519 key is not 32 bytes.
        public static let wrongKeyLength = Code("wrongKeyLength")
        /// Not a `did:key:` identifier (other method, extra segments, query, path).
        public static let notDIDKey = Code("notDIDKey")
        /// A verification method URL whose fragment does not name the did:key's own key.
        public static let invalidVerificationMethod = Code("invalidVerificationMethod")

        // JOSE
        /// Not three base64url segments separated by dots, or an empty segment.
        public static let malformedJWS = Code("malformedJWS")
        /// A JWS segment is not canonical unpadded base64url.
        public static let invalidBase64URL = Code("invalidBase64URL")
        /// `"alg":"none"` — an unsecured JWS.
        public static let algorithmNone = Code("algorithmNone")
        /// Any `alg` other than EdDSA.
        public static let unsupportedAlgorithm = Code("unsupportedAlgorithm")
        /// The protected header lacks `kid`.
        public static let missingKeyID = Code("missingKeyID")
        /// A header parameter this verifier does not accept (`crit`, `b64`, `jwk`, `x5c`, ...).
        public static let unsupportedHeader = Code("unsupportedHeader")
        /// `typ`/`cty` do not name a verifiable credential of the expected version.
        public static let wrongMediaType = Code("wrongMediaType")
        /// The JWT claims contradict the credential (iss/nbf/jti/sub/exp vs. issuer, dates, ids).
        public static let claimMismatch = Code("claimMismatch")

        // Data Integrity
        /// The document has no `proof`.
        public static let missingProof = Code("missingProof")
        /// The document carries a proof set or chain (an array), which this verifier does not accept.
        public static let proofSetUnsupported = Code("proofSetUnsupported")
        /// `proof.type` is not DataIntegrityProof.
        public static let wrongProofType = Code("wrongProofType")
        /// `proof.cryptosuite` is not eddsa-jcs-2022.
        public static let wrongCryptosuite = Code("wrongCryptosuite")
        /// `proof.proofPurpose` is not assertionMethod.
        public static let wrongProofPurpose = Code("wrongProofPurpose")
        /// `proof.proofValue` is missing, not base58btc multibase, or not 64 bytes.
        public static let invalidProofValue = Code("invalidProofValue")
        /// The proof's `@context` is not a prefix of the document's.
        public static let contextMismatch = Code("contextMismatch")
        /// Proof options are malformed (missing/extra/non-string members).
        public static let invalidProofOptions = Code("invalidProofOptions")

        // Signatures
        /// The signature does not verify with the key the credential names.
        public static let invalidSignature = Code("invalidSignature")
        /// A signer returned something that is not a 64-byte Ed25519 signature.
        public static let wrongSignatureLength = Code("wrongSignatureLength")
        /// The signer failed (the cause says why).
        public static let signerFailed = Code("signerFailed")
    }

    public var code: Code
    public var message: String
    /// The underlying error (a ``JSONError``, a SoftCrypto `CryptoError`, a signer's error).
    public var cause: (any Error)?

    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        cause.map { "\(code): \(message) (\($0))" } ?? "\(code): \(message)"
    }
}

extension JSONParser {
    /// Parses with default options, wrapping failures as ``CredentialError/Code/invalidJSON``.
    static func parseDocument(_ bytes: [UInt8], what: String) throws(CredentialError) -> JSONValue {
        do {
            return try JSONParser.parse(bytes)
        } catch {
            throw CredentialError(.invalidJSON, "\(what) is not strict JSON: \(error)", cause: error)
        }
    }
}

/// Canonical bytes, wrapping the only possible failure (a non-finite number built in code).
func canonicalBytes(_ value: JSONValue) throws(CredentialError) -> [UInt8] {
    do {
        return try JCS.canonicalize(value)
    } catch {
        throw CredentialError(.invalidCredential, "the document cannot be canonicalized: \(error)", cause: error)
    }
}
