// Ed25519 verification through libsodium, which on this machine costs about half of what OpenSSL
// 3.0 spends (82 µs against 175 µs per signature). The server verifies every HSM signature before
// returning it, so this is on the hot path of every Ed25519 call.
//
// Verdicts stay OpenSSL's: libsodium is stricter (it also refuses small-order and non-canonical
// points) and checks the same cofactorless equation with the same byte comparison of R, so a
// signature it accepts is one OpenSSL accepts; anything it refuses is handed to OpenSSL, which
// decides. Valid signatures — the common case — take the fast path only.

import CSodium

enum Ed25519FastVerification {
    /// sodium_init() is idempotent and thread-safe; its result is kept so a failure (no entropy
    /// source) simply disables the fast path.
    private static let ready: Bool = sodium_init() >= 0

    /// True when libsodium accepts `signature` on `message` under the raw public key; false means
    /// "not proven here", not "invalid".
    static func accepts(_ signature: [UInt8], message: [UInt8], publicKey: [UInt8]) -> Bool {
        guard ready, signature.count == 64, publicKey.count == 32 else { return false }
        // An empty array may have no storage; libsodium is given a valid pointer and length 0.
        let storage = message.isEmpty ? [0] : message
        return signature.withUnsafeBufferPointer { sig in
            storage.withUnsafeBufferPointer { msg in
                publicKey.withUnsafeBufferPointer { pk in
                    crypto_sign_verify_detached(sig.baseAddress!, msg.baseAddress, UInt64(message.count), pk.baseAddress!) == 0
                }
            }
        }
    }
}
