// Direct loops in child processes: the parent starts copies of hsm-bench with --direct-child; each
// loads the module on its own (its own C_Initialize), opens one session per thread on each of its
// tokens, says "ready", waits for "go" on stdin so all children sign during the same window, signs
// for the given time and prints its rate. Used for the 2-process ceiling and for the network
// model's direct baseline (one process per simulated HSM node).

import Foundation
import PKCS11

enum DirectChild {
    static func run(_ arguments: BenchArguments) -> Int32 {
        let folder = arguments.string("--folder", default: "")
        let labels = arguments.string("--label", default: "bench").split(separator: ",").map(String.init)
        let module = arguments.string("--module", default: DevToken.defaultModulePath)
        let key = hexBytes(arguments.string("--key-id", default: ""))
        let seconds = arguments.double("--seconds", default: 2)
        let threads = Int(arguments.double("--threads", default: 1))
        let algorithm = BenchAlgorithm(rawValue: arguments.string("--algorithm", default: "ed25519")) ?? .ed25519
        do {
            let tokens = try labels.map { try openWithRetry(folder: folder, label: $0, module: module) }
            let measured = try Baselines.direct(tokens: tokens, key: key, mechanism: algorithm.mechanism,
                                            threadsPerToken: threads, seconds: seconds) {
                print("ready")
                fflush(nil)
                _ = readLine()
            }
            print("\(measured.rate) \(measured.cpuMicrosPerOp)")
            return 0
        } catch {
            FileHandle.standardError.write(Data("direct child: \(error)\n".utf8))
            return 1
        }
    }

    /// Two processes logging in to one SoftHSM2 token at once sometimes fail: retry.
    static func openWithRetry(folder: String, label: String, module: String) throws -> Token {
        var last: (any Error)?
        for attempt in 0..<5 {
            if attempt > 0 { usleep(UInt32(50_000 * attempt)) }
            do { return try DevToken.open(folder: folder, label: label, modulePath: module) } catch { last = error }
        }
        throw last!
    }
}

func hexBytes(_ hex: String) -> [UInt8] {
    var out: [UInt8] = []
    var it = hex.makeIterator()
    while let a = it.next(), let b = it.next(), let v = UInt8(String([a, b]), radix: 16) { out.append(v) }
    return out
}
