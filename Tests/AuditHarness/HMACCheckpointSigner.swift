// A software checkpoint signer for the harness: HMAC-SHA-256 (RFC 2104) over SoftCrypto's
// SHA-256. The crash test verifies the checkpoints this process signs with the same key.

import AuditLog
import SoftCrypto

/// Signs checkpoints with HMAC-SHA-256 under a shared key.
struct HMACCheckpointSigner: CheckpointSigner {
    let key: [UInt8]
    let keyName: String

    func sign(_ message: [UInt8]) async throws -> (signature: [UInt8], keyName: String, keyVersion: UInt32) {
        (HMACCheckpointSigner.mac(key: key, message: message), keyName, 1)
    }

    static func mac(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var block = key.count > 64 ? SHA256.hash(key) : key
        block += [UInt8](repeating: 0, count: 64 - block.count)
        var inner = SHA256()
        inner.update(block.map { $0 ^ 0x36 })
        inner.update(message)
        var outer = SHA256()
        outer.update(block.map { $0 ^ 0x5C })
        outer.update(inner.finalize())
        return outer.finalize()
    }
}
