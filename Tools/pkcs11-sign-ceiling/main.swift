// pkcs11-sign-ceiling: the baseline of `make bench-issue`. Signs with Ed25519 directly through
// PKCS#11 (C_SignInit + C_Sign in a loop, one session per thread, no RPC, no audit, no
// credentials) on the dev token personahsmd uses, so the issuance rate can be reported as a
// ratio of what the HSM itself can do on this machine in the same run.
//
// usage: pkcs11-sign-ceiling --hsm-folder DIR [--label personahsm-dev] [--threads 2] [--seconds 5] [--message-bytes 64]
// prints: CEILING signatures_per_s=N threads=T

import Foundation
import PKCS11
import Synchronization

func option(_ name: String, _ fallback: String) -> String {
    let arguments = CommandLine.arguments
    guard let index = arguments.firstIndex(of: "--" + name), index + 1 < arguments.count else { return fallback }
    return arguments[index + 1]
}

let folder = option("hsm-folder", ".personahsm/hsm")
let label = option("label", "personahsm-dev")
let threads = max(1, Int(option("threads", "2")) ?? 2)
let seconds = max(0.5, Double(option("seconds", "5")) ?? 5)
let persistent = CommandLine.arguments.contains("--token-key")
let message = [UInt8](repeating: 0x5A, count: max(1, Int(option("message-bytes", "64")) ?? 64))

do {
    let token = try DevToken.open(folder: folder, label: label)
    // A session key unless --token-key (a token object, like the server's keys).
    let setup = try token.openSession()
    let keys = try setup.generateKey(.ed25519, options: KeyOptions(id: Array("ceiling".utf8), label: "ceiling",
                                                                   persistent: persistent))
    let total = Atomic<Int>(0)
    let privateKey = keys.privateKey
    let group = DispatchGroup()
    let start = Date()
    for _ in 0..<threads {
        group.enter()
        Thread.detachNewThread {
            // One session per thread: SoftHSM2 crashes when two threads share one.
            guard let session = try? token.openSession() else { return group.leave() }
            var done = 0
            signing: while Date().timeIntervalSince(start) < seconds {
                for _ in 0..<64 {
                    guard (try? session.sign(message, key: privateKey, mechanism: .ed25519))?.count == 64 else {
                        FileHandle.standardError.write(Data("pkcs11-sign-ceiling: C_Sign failed\n".utf8))
                        break signing
                    }
                    done += 1
                }
            }
            total.add(done, ordering: .relaxed)
            group.leave()
        }
    }
    group.wait()
    let elapsed = Date().timeIntervalSince(start)
    print(String(format: "CEILING signatures_per_s=%.0f threads=%d", Double(total.load(ordering: .relaxed)) / elapsed, threads))
    withExtendedLifetime(setup) {}
} catch {
    FileHandle.standardError.write(Data("pkcs11-sign-ceiling: \(error)\n".utf8))
    exit(1)
}
