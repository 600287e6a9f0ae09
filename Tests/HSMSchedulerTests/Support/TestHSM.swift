// The scheduler tests' view of the shared SoftHSM2 fixture (TestSupport.TestHSM: one token folder
// and one module initialisation per test process, one token label per suite), plus the package
// root for ../shared and Tests/interop.

import Foundation
import HSMScheduler
import PKCS11
import TestSupport

enum TestHSM {
    /// The process-wide token folder shared by every test target (they all run in one process,
    /// and SoftHSM2 can be initialised only once per process).
    static var folder: String { TestSupport.TestHSM.folder }

    /// The token labelled `label` in this process's folder, created and logged in on first use.
    static func token(_ label: String) throws -> Token {
        try DevToken.open(folder: folder, label: label)
    }

    /// The package root (for ../shared and Tests/interop).
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A random CKA_ID.
    static func newID() -> [UInt8] { (0..<16).map { _ in UInt8.random(in: 0...255) } }
}

extension [UInt8] {
    init(hex: String) {
        var out: [UInt8] = []
        var chars = hex.utf8.makeIterator()
        while let a = chars.next(), let b = chars.next() {
            out.append(UInt8(Swift.min(Int(hexNibble(a)), 15) << 4 | Int(hexNibble(b))))
        }
        self = out
    }
    var hexString: String { map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined() }
}

private func hexNibble(_ c: UInt8) -> UInt8 {
    switch c {
    case 48...57: c - 48
    case 97...102: c - 87
    case 65...70: c - 55
    default: 0
    }
}

extension TestHSM {
    static var pin: PIN { get throws { try DevToken.userPIN(folder: folder) } }

    /// A backend on token `label` of SoftHSM2 itself.
    static func backend(_ label: String, name: String? = nil, sessions: Int = 2, mode: WorkerMode = .threads,
                        healthKey: KeyReference? = nil) throws -> BackendConfiguration {
        _ = try token(label)
        return BackendConfiguration(name: name ?? label, modulePath: DevToken.defaultModulePath, tokenLabel: label,
                                    pin: try pin, sessions: sessions, mode: mode, healthKey: healthKey,
                                    workerEnvironment: ["SOFTHSM2_CONF": folder + "/softhsm2.conf"])
    }

    /// Generates a persistent key on each of `labels` (same CKA_ID everywhere, as replication would).
    static func key(_ spec: KeySpec, on labels: [String], id: [UInt8] = newID()) throws -> (KeyReference, PublicKey?) {
        var publicKey: PublicKey?
        for label in labels {
            let session = try token(label).openSession()
            let handles = try session.generateKey(spec, options: KeyOptions(id: id, label: "k"))
            if publicKey == nil, let pub = handles.publicKey { publicKey = try session.publicKey(of: pub) }
        }
        return (KeyReference(id: id), publicKey)
    }

    /// Imports one Ed25519 seed on each of `labels` so every backend signs identically.
    static func sharedEd25519(on labels: [String], id: [UInt8] = newID()) throws -> (KeyReference, PublicKey) {
        let seed = (0..<32).map { _ in UInt8.random(in: 0...255) }
        var publicKey: PublicKey?
        for label in labels {
            let session = try token(label).openSession()
            // The public point comes from Python: this layer has no software Ed25519 of its own.
            if publicKey == nil { publicKey = try pythonEd25519Public(seed: seed) }
            _ = try session.importKey(.ed25519(seed: seed), options: KeyOptions(id: id, label: "shared"), publicKey: publicKey)
        }
        return (KeyReference(id: id), publicKey!)
    }

    static func pythonEd25519Public(seed: [UInt8]) throws -> PublicKey {
        let script = "import sys;from cryptography.hazmat.primitives.asymmetric import ed25519;"
            + "from cryptography.hazmat.primitives import serialization as s;"
            + "k=ed25519.Ed25519PrivateKey.from_private_bytes(bytes.fromhex(sys.stdin.read().strip()));"
            + "print(k.public_key().public_bytes(s.Encoding.Raw,s.PublicFormat.Raw).hex())"
        let (status, output) = try PythonCheck.runPython(script: "Tests/interop/hsm_exec.py", arguments: [script], input: seed.hexString)
        guard status == 0 else { throw PKCS11Error(code: .invalidArgument, function: "python", message: output) }
        return .ed25519([UInt8](hex: output.trimmingCharacters(in: .whitespacesAndNewlines)))
    }
}
