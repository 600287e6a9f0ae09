// One SignBatch round trip for a chunk of signing inputs, with the checks a client owes the
// server's answers (CRC32C of each signature, its length, the pinned version) and bounded
// retries of transient failures. Retrying is safe because every item carries its idempotency
// key: an item the server already signed comes back with the same signature.

import Foundation
import PersonaProtos
import RPCCore
import SoftCrypto

extension RemoteCredentialSigner {
    /// Statuses worth another attempt: the server is busy, restarting or failing over.
    static let transientCodes: Set<RPCCore.StatusCode> = [.unavailable, .resourceExhausted, .aborted, .deadlineExceeded]

    /// Signs one chunk (at most the server's batch limit), retrying transient failures.
    func signChunk(_ messages: [[UInt8]]) async throws -> [[UInt8]] {
        var signatures = [[UInt8]?](repeating: nil, count: messages.count)
        var pending = Array(messages.indices)
        var attempt = 0
        while !pending.isEmpty {
            attempt += 1
            var retry: [Int] = []
            var lastError: RPCError?
            do {
                let requests = pending.map { index in
                    SignRequest(keyName: keyName, version: version, input: .data(messages[index]),
                                inputChecksum: .inputCrc32c(CRC32C.checksum(messages[index])),
                                requestId: String(index), idempotencyKey: Self.idempotencyKey(for: messages[index]))
                }
                let response = try await connection.signing.signBatch(SignBatchRequest(requests: requests),
                                                                      options: CallOptions(timeout: options.timeout))
                guard response.results.count == pending.count else {
                    throw RPCError(.dataLoss, "SignBatch answered \(response.results.count) items for \(pending.count)")
                }
                for (position, result) in response.results.enumerated() {
                    let index = pending[position]
                    // The server echoes each item's position: answers out of order would pair
                    // signatures with the wrong documents.
                    guard result.index == UInt32(position), result.requestId == String(index) else {
                        throw RPCError(.dataLoss, "SignBatch item \(position) answers item \(result.index) (\(result.requestId))")
                    }
                    switch result.result {
                    case .response(let signed)?:
                        signatures[index] = try checked(signed)
                    case .error(let status)?:
                        let error = Self.rpcError(status)
                        guard Self.transientCodes.contains(error.code) else { throw error }
                        retry.append(index)
                        lastError = error
                    case nil:
                        throw RPCError(.dataLoss, "SignBatch item \(position) has neither a signature nor an error")
                    }
                }
            } catch let error as RPCError where Self.transientCodes.contains(error.code) {
                retry = pending
                lastError = error
            }
            pending = retry
            if !pending.isEmpty {
                guard attempt < options.attempts else {
                    throw lastError ?? RPCError(.unavailable, "signing did not succeed after \(attempt) attempts")
                }
                let hinted = lastError?.details.map { Int($0.retryAfterMillis) } ?? 0
                try await Task.sleep(for: .milliseconds(max(hinted, 50 << min(attempt, 6))))
            }
        }
        return signatures.map { $0! }
    }

    private func checked(_ response: SignResponse) throws -> [UInt8] {
        guard CRC32C.checksum(response.signature) == response.signatureCrc32c else {
            throw RPCError(.dataLoss, "signature_crc32c does not match the signature received")
        }
        guard response.version == version else {
            throw RPCError(.failedPrecondition, "version \(response.version) signed, but the job is pinned to v\(version)")
        }
        guard response.signature.count == 64 else {
            throw RPCError(.dataLoss, "an Ed25519 signature is 64 bytes, got \(response.signature.count)")
        }
        return response.signature
    }

    static func rpcError(_ status: CallStatus) -> RPCError {
        let code = UInt8(exactly: status.code.rawValue).flatMap { RPCCore.StatusCode(rawValue: $0) } ?? .unknown
        return RPCError(code, status.message, details: status.details.map {
            RPCCore.ErrorDetails(retryAfterMillis: $0.retryAfterMillis, reason: $0.reason, subject: $0.subject, info: $0.info)
        })
    }
}
