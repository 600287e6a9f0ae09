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
    /// Verify signatures before releasing the credentials (see ``verificationInterval``).
    public var verifySignatures: Bool
    /// With ``verifySignatures``: 1 (the default) verifies every signature; n > 1 verifies the
    /// first and last signature of each batch and every n-th one in between. Sampling is for
    /// signers that already verify each signature themselves (personahsmd does, before it
    /// answers): it still catches a wrong key or a shifted or mixed-up batch, which affect every
    /// item, at 1/n of the cost (an Ed25519 verification costs as much CPU as the signature).
    public var verificationInterval: Int

    /// An issuer for `signer`, whose verification method must be a did:key.
    public init(signer: any CredentialSigner, issuerPolicy: IssuerPolicy = .fillIfMissing,
                verifySignatures: Bool = true, verificationInterval: Int = 1) throws(CredentialError) {
        self.signer = signer
        key = try DIDKey(verificationMethod: signer.verificationMethod)
        self.issuerPolicy = issuerPolicy
        self.verifySignatures = verifySignatures
        self.verificationInterval = max(1, verificationInterval)
    }

    /// Issues one credential.
    public func issue(_ credential: JSONValue, format: SecuringFormat, at time: XSDDateTime) async throws(CredentialError) -> Issued {
        try await issueBatch([credential], format: format, at: time)[0].get()
    }

    /// Issues many credentials with a single batched signing call. Results are in input order.
    public func issueBatch(_ credentials: [JSONValue], format: SecuringFormat,
                           at time: XSDDateTime) async -> [Result<Issued, CredentialError>] {
        var results = [Result<Issued, CredentialError>?](repeating: nil, count: credentials.count)
        var pending: [(index: Int, message: [UInt8], assemble: @Sendable ([UInt8], Bool) throws(CredentialError) -> Issued)] = []
        let verificationMethod = key.verificationMethodID
        for (index, credential) in credentials.enumerated() {
            do throws(CredentialError) {
                let prepared = try CredentialPreparation.prepare(credential, issuer: key, issuanceTime: time,
                                                                 policy: issuerPolicy, format: format)
                switch format {
                case .jwt:
                    let jwt = try VCJWT.prepare(credential: prepared, key: key)
                    pending.append((index, jwt.signingInput, { signature, verify throws(CredentialError) in
                        .jwt(try jwt.assemble(signature: signature, verify: verify))
                    }))
                case .dataIntegrity:
                    let proof = try EddsaJcs2022.prepare(document: prepared,
                                                         options: ProofOptions(verificationMethod: verificationMethod, created: time),
                                                         parsedKey: key)
                    pending.append((index, proof.hashData, { signature, verify throws(CredentialError) in
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
                // The sample first (every signature when the interval is 1); if any sampled
                // signature fails, every other one of the batch is verified as well.
                let sampled = pending.indices.filter { $0 % verificationInterval == 0 || $0 == pending.count - 1 }
                var verifyRest = verifySignatures && verificationInterval == 1
                for position in sampled {
                    let item = pending[position]
                    do throws(CredentialError) {
                        results[item.index] = .success(try item.assemble(signatures[position], verifySignatures))
                    } catch {
                        results[item.index] = .failure(error)
                        verifyRest = verifySignatures
                    }
                }
                for (position, item) in pending.enumerated() where results[item.index] == nil {
                    do throws(CredentialError) {
                        results[item.index] = .success(try item.assemble(signatures[position], verifyRest))
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
