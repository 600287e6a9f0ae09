// The issuance pipeline the batch job runs per document: shape check and preparation (issuer,
// dates), the format's signing input, one batched signing call for the whole batch, then
// assembly with a sign-then-verify check. A bad document fails alone; the rest of the batch
// still issues.

/// Issues credentials in either format with one signer.
public struct CredentialIssuer: Sendable {
    /// A finished credential.
    public enum Issued: Sendable {
        /// A compact JWS.
        case jwt(String)
        /// A document with an `eddsa-jcs-2022` proof.
        case dataIntegrity(JSONValue)

        /// The bytes to store or send: the JWS text, or the document as compact JSON.
        public var bytes: [UInt8] {
            switch self {
            case .jwt(let text): return Array(text.utf8)
            case .dataIntegrity(let document): return (try? document.compactBytes()) ?? []
            }
        }
    }

    public let signer: any CredentialSigner
    /// The signer's did:key.
    public let key: DIDKey
    public var issuerPolicy: IssuerPolicy
    /// Verify every signature before releasing the credential.
    public var verifySignatures: Bool

    /// An issuer for `signer`, whose verification method must be a did:key.
    public init(signer: any CredentialSigner, issuerPolicy: IssuerPolicy = .fillIfMissing,
                verifySignatures: Bool = true) throws(CredentialError) {
        self.signer = signer
        key = try DIDKey(verificationMethod: signer.verificationMethod)
        self.issuerPolicy = issuerPolicy
        self.verifySignatures = verifySignatures
    }

    /// Issues one credential.
    public func issue(_ credential: JSONValue, format: SecuringFormat, at time: XSDDateTime) async throws(CredentialError) -> Issued {
        try await issueBatch([credential], format: format, at: time)[0].get()
    }

    /// Issues many credentials with a single batched signing call. Results are in input order.
    public func issueBatch(_ credentials: [JSONValue], format: SecuringFormat,
                           at time: XSDDateTime) async -> [Result<Issued, CredentialError>] {
        var results = [Result<Issued, CredentialError>?](repeating: nil, count: credentials.count)
        var pending: [(index: Int, message: [UInt8], assemble: @Sendable ([UInt8]) throws(CredentialError) -> Issued)] = []
        for (index, credential) in credentials.enumerated() {
            do throws(CredentialError) {
                let prepared = try CredentialPreparation.prepare(credential, issuer: key, issuanceTime: time,
                                                                 policy: issuerPolicy, format: format)
                let verify = verifySignatures
                switch format {
                case .jwt:
                    let jwt = try VCJWT.prepare(credential: prepared, verificationMethod: signer.verificationMethod)
                    pending.append((index, jwt.signingInput, { signature throws(CredentialError) in
                        .jwt(try jwt.assemble(signature: signature, verify: verify))
                    }))
                case .dataIntegrity:
                    let proof = try EddsaJcs2022.prepare(document: prepared,
                                                         options: ProofOptions(verificationMethod: signer.verificationMethod, created: time))
                    pending.append((index, proof.hashData, { signature throws(CredentialError) in
                        .dataIntegrity(try proof.assemble(signature: signature, verify: verify))
                    }))
                }
            } catch {
                results[index] = .failure(error)
            }
        }
        if !pending.isEmpty {
            do {
                let signatures = try await signer.sign(batch: pending.map(\.message))
                guard signatures.count == pending.count else {
                    throw CredentialError(.signerFailed, "the signer returned \(signatures.count) signatures for \(pending.count) messages")
                }
                for (item, signature) in zip(pending, signatures) {
                    do throws(CredentialError) {
                        results[item.index] = .success(try item.assemble(signature))
                    } catch {
                        results[item.index] = .failure(error)
                    }
                }
            } catch {
                let failure = error as? CredentialError ?? CredentialError(.signerFailed, "batch signing failed", cause: error)
                for item in pending { results[item.index] = .failure(failure) }
            }
        }
        return results.map { $0! }
    }
}
