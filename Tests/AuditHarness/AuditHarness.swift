// A helper executable for the audit log's tests and benchmark. The crash test needs a separate
// process it can SIGKILL while 16 tasks append; the benchmark needs a real disk and fdatasync.
// Usage:
//   audit-harness crash-writer <log> <hmac-key-hex> [--tasks N] [--checkpoint-interval N]
//                              [--timeout-ms N] [--chunked-writes]
//   audit-harness bench [directory] [seconds]

import AuditLog

#if canImport(Glibc)
import Glibc
#endif

@main
struct AuditHarness {
    static func main() async {
        signal(SIGPIPE, SIG_IGN)
        let arguments = Array(CommandLine.arguments.dropFirst())
        do {
            switch arguments.first {
            case "crash-writer":
                try await CrashWriter(arguments: Array(arguments.dropFirst())).run()
            case "bench":
                try await GroupCommitBenchmark(arguments: Array(arguments.dropFirst())).run()
            default:
                printError("usage: audit-harness crash-writer <log> <hmac-key-hex> [--tasks N] [--checkpoint-interval N] "
                    + "[--timeout-ms N] [--chunked-writes]\n"
                    + "       audit-harness bench [directory] [seconds]")
                exit(2)
            }
        } catch {
            printError("audit-harness: \(error)")
            exit(1)
        }
    }

    static func printError(_ text: String) {
        let bytes = Array((text + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }
}
