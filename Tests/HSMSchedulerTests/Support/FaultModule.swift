// The fault-injecting module (libp11fault.so) as a test fixture. The module reads one config file
// per process (P11FAULT_CONFIG), and suites run concurrently, so each test owns a token label and
// edits only its own "[token:LABEL]" section; this fixture rewrites the whole file atomically
// (temp file + rename) so the module never sees a half-written config.

import Foundation
import HSMScheduler
import PKCS11
import Synchronization

enum FaultModule {
    /// Path of libp11fault.so: the one SwiftPM built next to the test bundle, else compiled
    /// from Sources/C/CP11Fault with cc into the temp folder.
    static let path: String = {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("libp11fault.so").path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        let out = TestHSM.folder + "/libp11fault.so"
        let source = TestHSM.packageRoot.appendingPathComponent("Sources/C/CP11Fault").path
        let cc = Process()
        cc.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: source)) ?? [])
            .filter { $0.hasSuffix(".c") }.sorted().map { "\(source)/\($0)" }
        cc.arguments = ["cc", "-O2", "-shared", "-fPIC", "-I\(source)/include", "-I/usr/include/p11-kit-1"]
            + files + ["-o", out, "-lpthread", "-ldl"]
        try? cc.run()
        cc.waitUntilExit()
        return out
    }()

    static let configPath: String = {
        let p = TestHSM.folder + "/p11fault.conf"
        setenv("P11FAULT_CONFIG", p, 1)
        setenv("P11FAULT_MODULE", DevToken.defaultModulePath, 1)
        return p
    }()

    private static let sections = Mutex<[String: [String: String]]>([:])

    /// Sets `settings` for `label` (replacing its section) and rewrites the file. The write and
    /// rename happen under the lock: two suites writing at once could otherwise rename in the
    /// opposite order to the one they built their text in, and the older text (without the
    /// other suite's section) would win — its worker processes then ran with no latency at all.
    static func set(_ label: String, _ settings: [String: String]) {
        sections.withLock { all in
            all[label] = settings
            let text = all.sorted { $0.key < $1.key }.map { label, kv in
                "[token:\(label)]\n" + kv.sorted { $0.key < $1.key }.map { "\($0.key) = \($0.value)\n" }.joined()
            }.joined()
            let tmp = configPath + ".\(UInt32.random(in: 0...UInt32.max))"
            try? text.write(toFile: tmp, atomically: false, encoding: .utf8)
            rename(tmp, configPath)
        }
        // The module re-checks at most every 2 ms.
        usleep(5_000)
    }

    /// A backend on token `label` through the fault module (the token is created first).
    static func backend(_ label: String, sessions: Int, healthKey: KeyReference? = nil,
                        mode: WorkerMode = .threads, settings: [String: String] = [:]) throws -> BackendConfiguration {
        _ = try TestHSM.token(label)
        _ = configPath
        set(label, settings)
        return BackendConfiguration(name: label, modulePath: path, tokenLabel: label, pin: try TestHSM.pin,
                                    sessions: sessions, mode: mode, healthKey: healthKey,
                                    workerEnvironment: ["SOFTHSM2_CONF": TestHSM.folder + "/softhsm2.conf",
                                                        "P11FAULT_CONFIG": configPath,
                                                        "P11FAULT_MODULE": DevToken.defaultModulePath])
    }

    /// Open sessions this process holds on `label` through the fault module.
    static func openSessions(_ label: String) throws -> Int {
        let module = try PKCS11Module.load(path: path)
        return try module.token(label: label).info.sessionCount ?? 0
    }
}
