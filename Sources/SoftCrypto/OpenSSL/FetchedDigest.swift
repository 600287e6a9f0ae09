// OpenSSL 3 looks an algorithm up in its provider store (under a read lock) every time a legacy
// `EVP_sha256()` handle is used; a digest fetched once explicitly skips that lookup. SHA-256 runs
// several times per signing request (request digests, idempotency, audit chain), on many threads
// at once, so the handle is fetched once per process and shared.

import COpenSSL

/// Owns one explicitly fetched `EVP_MD *` and frees it on deinit.
final class FetchedDigest: @unchecked Sendable {
    // @unchecked: a fetched EVP_MD is immutable and reference counted; OpenSSL documents it as
    // safe to use from any number of threads.
    let pointer: OpaquePointer

    /// SHA-256 from the default provider, fetched once for the process.
    static let sha256 = FetchedDigest(name: "SHA256")

    private init(name: String) {
        guard let fetched = EVP_MD_fetch(nil, name, nil) else {
            fatalError("OpenSSL has no \(name) implementation: \(OpenSSLErrorQueue.drain())")
        }
        pointer = fetched
    }

    deinit { EVP_MD_free(pointer) }
}
