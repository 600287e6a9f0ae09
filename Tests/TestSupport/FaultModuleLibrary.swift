// Where the fault-injecting PKCS#11 module (libp11fault.so, Sources/C/CP11Fault) is: the copy
// SwiftPM builds into .build/<config>/, else one compiled with cc into a temp folder. Tests that
// hand the module to child processes (worker processes, personahsmd) need its path.

import Foundation

public enum FaultModuleLibrary {
    /// Path of libp11fault.so.
    public static let path: String = {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("libp11fault.so").path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        let out = NSTemporaryDirectory() + "libp11fault-\(getpid()).so"
        let source = SharedTestData.packageRoot.appendingPathComponent("Sources/C/CP11Fault").path
        let sources = ((try? FileManager.default.contentsOfDirectory(atPath: source)) ?? [])
            .filter { $0.hasSuffix(".c") }.sorted().map { "\(source)/\($0)" }
        _ = try? Subprocess.run("/usr/bin/env", ["cc", "-O2", "-shared", "-fPIC", "-I\(source)/include",
                                                 "-I/usr/include/p11-kit-1"] + sources
                                                 + ["-o", out, "-lpthread", "-ldl"])
        return out
    }()
}
