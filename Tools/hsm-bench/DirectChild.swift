// The 2-process ceiling: the parent starts two copies of hsm-bench with --direct-child; each logs in
// on its own (its own C_Initialize), says "ready", waits for "go" on stdin so both sign during the
// same window, signs for the given time and prints its rate.

import Foundation
import PKCS11

enum DirectChild {
    static func run(_ arguments: BenchArguments) -> Int32 {
        let folder = arguments.string("--folder", default: "")
        let label = arguments.string("--label", default: "bench")
        let key = hexBytes(arguments.string("--key-id", default: ""))
        let seconds = arguments.double("--seconds", default: 2)
        do {
            let token = try openWithRetry(folder: folder, label: label)
            let session = try token.openSession()
            guard let handle = try session.findKey(id: key, objectClass: .privateKey) else { throw BenchError("no key") }
            let message = Array("benchmark message".utf8)
            print("ready")
            fflush(nil)
            _ = readLine()
            let rate = try Baselines.loop(seconds: seconds) { _ = try session.sign(message, key: handle, mechanism: .ed25519) }
            print(rate)
            return 0
        } catch {
            FileHandle.standardError.write(Data("direct child: \(error)\n".utf8))
            return 1
        }
    }

    /// Two processes logging in to one SoftHSM2 token at once sometimes fail: retry.
    static func openWithRetry(folder: String, label: String) throws -> Token {
        var last: (any Error)?
        for attempt in 0..<5 {
            if attempt > 0 { usleep(UInt32(50_000 * attempt)) }
            do { return try DevToken.open(folder: folder, label: label) } catch { last = error }
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
