// A file of credentials from one issuer names the same did:key thousands of times, and resolving
// one (base58 decoding, then building an OpenSSL key) costs about a fifth of verifying the
// signature with it. Resolution is a pure function of the text, so the verifier remembers the
// last few keys it resolved; errors are not remembered (they are cheap and must be reported).

import Synchronization

/// The most recently resolved did:key verification methods.
final class DIDKeyResolutionCache: Sendable {
    /// Distinct verification methods remembered (a few issuers per file is the common case).
    static let capacity = 16

    private let entries = Mutex<[(method: String, key: DIDKey)]>([])

    /// The did:key of `verificationMethod`, resolved once per distinct text.
    ///
    /// - Throws: as `DIDKey(verificationMethod:)`.
    func key(verificationMethod: String) throws(CredentialError) -> DIDKey {
        if let known = entries.withLock({ list in list.first { scalarsEqual($0.method, verificationMethod) }?.key }) {
            return known
        }
        let key = try DIDKey(verificationMethod: verificationMethod)
        entries.withLock { list in
            if list.count >= Self.capacity { list.removeFirst() }
            list.append((verificationMethod, key))
        }
        return key
    }
}
