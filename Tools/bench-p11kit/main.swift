// bench-p11kit: the signing loop of `make bench`'s peer comparison (Tools/bench-p11kit.sh). Signs
// with one key in a C_SignInit + C_Sign loop, one session per thread, through whichever PKCS#11
// module it is given: SoftHSM2 itself (the direct ceiling) or p11-kit's client module talking to
// `p11-kit server` over a unix socket (the peer: PKCS#11 remoted over a socket, on the same token).
// The same loop through both modules makes the two figures comparable; the key is a token object
// found by label (created on first use), so both modules sign with the very same key.
//
// usage: bench-p11kit --hsm-folder DIR [--label personahsm-dev] [--module PATH]
//                     [--algorithm ecdsa-p256|rsa2048-pkcs1|ed25519] [--threads 1] [--seconds 3]
//                     [--message-bytes 256]   (personahsm-load's default payload)
// prints: LOOP signatures_per_s=N threads=T algorithm=A module=PATH errors=E

import Foundation
import PKCS11
import Synchronization

signal(SIGPIPE, SIG_IGN)

func option(_ name: String, _ fallback: String) -> String {
    let arguments = CommandLine.arguments
    guard let index = arguments.firstIndex(of: "--" + name), index + 1 < arguments.count else { return fallback }
    return arguments[index + 1]
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("bench-p11kit: \(message)\n".utf8))
    exit(1)
}

let folder = option("hsm-folder", ".personahsm/hsm")
let label = option("label", "personahsm-dev")
let modulePath = option("module", DevToken.defaultModulePath)
let algorithm = option("algorithm", "ecdsa-p256")
let threads = max(1, Int(option("threads", "1")) ?? 1)
let seconds = max(0.2, Double(option("seconds", "3")) ?? 3)
let message = [UInt8](repeating: 0x5A, count: max(1, Int(option("message-bytes", "256")) ?? 256))

let (spec, mechanism): (KeySpec, SignatureMechanism) = switch algorithm {
case "ecdsa-p256": (.ecdsaP256, .ecdsaP256SHA256)
case "rsa2048-pkcs1": (.rsa2048, .rsaPKCS1SHA256)
case "ed25519": (.ed25519, .ed25519)
default: fail("unknown --algorithm \(algorithm) (ecdsa-p256, rsa2048-pkcs1, ed25519)")
}

do {
    let token = try DevToken.open(folder: folder, label: label, modulePath: modulePath)
    let setup = try token.openSession()
    let keyLabel = "bench-p11kit-\(algorithm)"
    let privateKey: ObjectHandle
    if let found = try setup.findObjects([.objectClass(.privateKey), .string(.label, keyLabel)], limit: 1).first {
        privateKey = found
    } else {
        privateKey = try setup.generateKey(spec, options: KeyOptions(id: Array(keyLabel.utf8), label: keyLabel)).privateKey
    }
    // One signature before timing: proves the key and mechanism work through this module.
    _ = try setup.sign(message, key: privateKey, mechanism: mechanism)

    let total = Atomic<Int>(0)
    let errors = Atomic<Int>(0)
    let group = DispatchGroup()
    let start = ContinuousClock.now
    let end = start + .seconds(seconds)
    for _ in 0..<threads {
        group.enter()
        Thread.detachNewThread {
            defer { group.leave() }
            // One session per thread: SoftHSM2 crashes when two threads share one.
            guard let session = try? token.openSession() else { return _ = errors.add(1, ordering: .relaxed) }
            var done = 0
            signing: while ContinuousClock.now < end {
                for _ in 0..<8 {
                    guard (try? session.sign(message, key: privateKey, mechanism: mechanism)) != nil else {
                        errors.add(1, ordering: .relaxed)
                        break signing
                    }
                    done += 1
                }
            }
            total.add(done, ordering: .relaxed)
        }
    }
    group.wait()
    let elapsed = (ContinuousClock.now - start) / .seconds(1)
    print(String(format: "LOOP signatures_per_s=%.0f threads=%d algorithm=%@ module=%@ errors=%d",
                 Double(total.load(ordering: .relaxed)) / elapsed, threads, algorithm, modulePath,
                 errors.load(ordering: .relaxed)))
    withExtendedLifetime(setup) {}
} catch {
    fail("\(error)")
}
