// The shared SoftHSM2 fixture of this test process (this file is duplicated in PKCS11Tests and
// HSMSchedulerTests, which share no support target). SoftHSM2 reads SOFTHSM2_CONF once, at
// C_Initialize, and Cryptoki allows one C_Initialize per process, while Swift Testing runs suites
// concurrently in one process. So: one temp token folder per test process (created on first use,
// removed at exit), one module initialisation, and one token per suite, each with its own label,
// so suites never see each other's objects.

import Foundation
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
