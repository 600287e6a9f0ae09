// The one SoftHSM2 fixture of the test process. Every test target links into a single test
// binary, SoftHSM2 reads SOFTHSM2_CONF once at C_Initialize, Cryptoki allows one C_Initialize per
// process, and Swift Testing runs suites concurrently. So all suites of all targets share one temp
// token folder (created on first use, removed at exit) and one module initialisation, and each
// suite uses its own token label so suites never see each other's objects.

import Foundation
import PKCS11
import Synchronization

public enum TestHSM {
    /// This process's token folder (created on first use, removed at exit).
    public static var folder: String { testFolder.path }

    private static let testFolder = TestFolder()

    /// A temp folder named after this process, removed by an atexit handler.
    private final class TestFolder: Sendable {
        let path: String
        init() {
            path = NSTemporaryDirectory() + "personahsm-tests-\(getpid())"
            try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            TestFolder.cleanupPath.withLock { $0 = path }
            atexit {
                if let path = TestFolder.cleanupPath.withLock({ $0 }) { try? FileManager.default.removeItem(atPath: path) }
            }
        }
        static let cleanupPath = Mutex<String?>(nil)
    }

    /// The token labelled `label` (≤ 32 bytes) in this process's folder, created and logged in on
    /// first use.
    public static func token(_ label: String) throws -> Token {
        try DevToken.open(folder: folder, label: label)
    }

    /// The user PIN of every token in the folder.
    public static func pin() throws -> PIN { try DevToken.userPIN(folder: folder) }

    /// A random CKA_ID.
    public static func newID() -> [UInt8] { (0..<16).map { _ in UInt8.random(in: 0...255) } }
}
