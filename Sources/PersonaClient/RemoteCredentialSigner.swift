// The HSM-backed CredentialSigner: credential formats hand it signing inputs, it sends them to
// personahsmd as SignBatch calls (split into chunks the server accepts, several chunks in flight
// on the pooled channel) and hands back the signatures in order. Every item carries an
// idempotency key derived from the signing input itself, which already names the key, the
// format and the prepared document: a resumed job that signs the same document again gets the
// first signature back instead of a second issuance. (Ed25519 is deterministic as well, so even
// after a server restart has emptied its idempotency cache the repeat yields the same bytes.)

import Credentials
import Foundation
import PersonaProtos
import RPCCore
import SoftCrypto

/// Signs credentials with an Ed25519 key held by personahsmd.
public struct RemoteCredentialSigner: CredentialSigner {
    /// Tuning for batched signing.
    public struct Options: Sendable {
        /// Items per SignBatch call (the server's limit is `max_batch_request`, 1024 by default).
        public var chunkSize: Int
        /// SignBatch calls in flight at once for one `sign(batch:)`.
        public var concurrentChunks: Int
        /// Attempts for an item that failed with a transient status (UNAVAILABLE, RESOURCE_EXHAUSTED, ABORTED).
        public var attempts: Int
        /// Deadline of one SignBatch call.
        public var timeout: Duration

        public init(chunkSize: Int = 256, concurrentChunks: Int = 4, attempts: Int = 5, timeout: Duration = .seconds(60)) {
            self.chunkSize = max(1, chunkSize)
            self.concurrentChunks = max(1, concurrentChunks)
            self.attempts = max(1, attempts)
            self.timeout = timeout
        }
    }

    public let connection: PersonaConnection
    public let keyName: String
    /// The pinned key version (never 0: a rotation mid-job must not change the signing key).
    public let version: UInt32
    /// The version's did:key, derived here from its raw public key.
    public let didKey: DIDKey
    public let options: Options

    public var verificationMethod: String { didKey.verificationMethodID }

    /// A signer for a known version and did:key.
    public init(connection: PersonaConnection, keyName: String, version: UInt32, didKey: DIDKey, options: Options = Options()) {
        self.connection = connection
        self.keyName = keyName
        self.version = version
        self.didKey = didKey
        self.options = options
    }

    /// Looks up `keyName` (primary version unless `version` is set), derives its did:key from the
    /// raw public key and checks it against the did:key the server reports.
    ///
    /// - Throws: `RPCError` from the server; ``IssuanceError`` when the key is not Ed25519 or the
    ///   server's did:key disagrees with the public key.
    public static func connect(_ connection: PersonaConnection, keyName: String, version: UInt32 = 0,
                               options: Options = Options()) async throws -> RemoteCredentialSigner {
        let key = try await connection.keys.getPublicKey(
            GetPublicKeyRequest(name: keyName, version: version, format: .raw), options: CallOptions(timeout: .seconds(30)))
        guard key.algorithm == .ed25519 else {
            throw IssuanceError(.wrongKey, "key \(keyName) is not an Ed25519 key; credentials are signed with Ed25519")
        }
        let didKey: DIDKey
        do {
            didKey = try DIDKey(ed25519Raw: key.data)
        } catch {
            throw IssuanceError(.wrongKey, "the public key of \(keyName) v\(key.version) is not a raw Ed25519 key", cause: error)
        }
        if !key.didKey.isEmpty, key.didKey != didKey.did {
            throw IssuanceError(.wrongKey, "the server says \(keyName) v\(key.version) is \(key.didKey), its public key says \(didKey.did)")
        }
        return RemoteCredentialSigner(connection: connection, keyName: keyName, version: key.version, didKey: didKey,
                                      options: options)
    }

    /// The idempotency key of one signing input.
    public static func idempotencyKey(for message: [UInt8]) -> String {
        "vc-" + SHA256.hash(message).hexString
    }

    public func sign(_ message: [UInt8]) async throws -> [UInt8] {
        try await sign(batch: [message])[0]
    }

    /// Signs `messages` in chunks, several chunks in flight at once; signatures in input order.
    ///
    /// - Throws: the first item that still fails after retries, as an `RPCError`.
    public func sign(batch messages: [[UInt8]]) async throws -> [[UInt8]] {
        let chunks = stride(from: 0, to: messages.count, by: options.chunkSize).map {
            $0..<min($0 + options.chunkSize, messages.count)
        }
        var signatures = [[UInt8]](repeating: [], count: messages.count)
        try await withThrowingTaskGroup(of: (Range<Int>, [[UInt8]]).self) { group in
            var next = 0
            var running = 0
            while next < chunks.count || running > 0 {
                while next < chunks.count, running < options.concurrentChunks {
                    let range = chunks[next]
                    let slice = Array(messages[range])
                    group.addTask { (range, try await signChunk(slice)) }
                    next += 1
                    running += 1
                }
                guard let (range, chunk) = try await group.next() else { break }
                running -= 1
                for (offset, signature) in chunk.enumerated() { signatures[range.lowerBound + offset] = signature }
            }
        }
        return signatures
    }
}
