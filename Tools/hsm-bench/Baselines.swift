// The two reference rates: raw OpenSSL signing (what the CPU can do without any HSM) and direct
// PKCS#11 signing loops on SoftHSM2 (what the HSM can do with no scheduler in front of it).

import COpenSSL
import Foundation
import HSMScheduler
import PKCS11
import Synchronization

enum Baselines {
    /// Signatures per second with OpenSSL in this thread (the key made by OpenSSL itself).
    static func openssl(_ algorithm: BenchAlgorithm, seconds: Double) -> Double {
        let name: String = algorithm == .ed25519 ? "ED25519" : algorithm == .ecdsaP256 ? "EC" : "RSA"
        guard let kctx = EVP_PKEY_CTX_new_from_name(nil, name, nil) else { return 0 }
        defer { EVP_PKEY_CTX_free(kctx) }
        guard EVP_PKEY_keygen_init(kctx) == 1 else { return 0 }
        if algorithm == .ecdsaP256 { _ = EVP_PKEY_CTX_set_group_name(kctx, "P-256") }
        if algorithm == .rsa2048 { _ = EVP_PKEY_CTX_set_rsa_keygen_bits(kctx, 2048) }
        var pkey: OpaquePointer?
        guard EVP_PKEY_keygen(kctx, &pkey) == 1, let pkey else { return 0 }
        defer { EVP_PKEY_free(pkey) }
        guard let md = EVP_MD_CTX_new() else { return 0 }
        defer { EVP_MD_CTX_free(md) }
        let digest = algorithm == .ed25519 ? nil : EVP_sha256()
        let message = Array("benchmark message".utf8)
        var signature = [UInt8](repeating: 0, count: 512)
        return loop(seconds: seconds) {
            var length = 512
            _ = EVP_DigestSignInit(md, nil, digest, nil, pkey)
            _ = signature.withUnsafeMutableBufferPointer { s in
                message.withUnsafeBufferPointer { EVP_DigestSign(md, s.baseAddress, &length, $0.baseAddress, $0.count) }
            }
        }
    }

    /// Runs `body` until `seconds` pass; returns calls per second.
    static func loop(seconds: Double, _ body: () throws -> Void) rethrows -> Double {
        let start = ContinuousClock.now
        let end = start + .milliseconds(Int(seconds * 1000))
        var count = 0
        while true {
            for _ in 0..<4 { try body() }
            count += 4
            if ContinuousClock.now >= end { break }
        }
        return Double(count) / (ContinuousClock.now - start).seconds
    }

    /// A direct C_SignInit+C_Sign loop with `threadsPerToken` threads (one session each) on
    /// every token, all in this process. `ready` runs once every session is open and the key
    /// found, before the clock starts (the 2-process case waits there for its "go").
    static func direct(tokens: [Token], key: [UInt8], mechanism: SignatureMechanism, threadsPerToken: Int,
                       seconds: Double, ready onReady: () -> Void = {}) throws -> DirectMeasurement {
        let assignments = tokens.flatMap { Array(repeating: $0, count: threadsPerToken) }
        let threads = assignments.count
        let total = Mutex(0.0)
        let ready = DispatchGroup(), done = DispatchGroup()
        let go = DispatchSemaphore(value: 0)
        let failure = Mutex<String?>(nil)
        for token in assignments {
            ready.enter(); done.enter()
            Thread {
                defer { done.leave() }
                do {
                    let session = try token.openSession()
                    guard let handle = try session.findKey(id: key, objectClass: .privateKey) else { throw BenchError("no key") }
                    let message = Array("benchmark message".utf8)
                    ready.leave()
                    go.wait()
                    let rate = try loop(seconds: seconds) { _ = try session.sign(message, key: handle, mechanism: mechanism) }
                    total.withLock { $0 += rate }
                } catch {
                    failure.withLock { $0 = "\(error)" }
                    ready.leave()
                }
            }.start()
        }
        ready.wait()
        onReady()
        let cpuBefore = ProcessCPU.selfSeconds()
        for _ in 0..<threads { go.signal() }
        done.wait()
        let cpu = ProcessCPU.selfSeconds() - cpuBefore
        if let message = failure.withLock({ $0 }) { throw BenchError(message) }
        let rate = total.withLock { $0 }
        return DirectMeasurement(rate: rate, cpuMicrosPerOp: cpu * 1e6 / max(rate * seconds, 1))
    }
}

/// A direct loop's rate and the CPU its process spent per signature.
struct DirectMeasurement {
    var rate: Double
    var cpuMicrosPerOp: Double
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
