// The measurement behind the choice of epoll on owned threads (docs/PERFORMANCE.md): a 64-byte
// ping-pong over a socketpair driven once by two of our event loops and once by two Dispatch read
// sources on serial queues. `rpc-bench` runs both and prints round trips per second and CPU per
// round trip. Package-internal: only the benchmark calls it.

import CShims
import Dispatch
import Foundation
import Synchronization

package enum EventLoopComparison {
    /// Round trips per second and CPU microseconds per round trip.
    package struct Result: Sendable {
        package var roundTripsPerSecond: Double
        package var cpuMicrosPerRoundTrip: Double
    }

    /// One end of the ping-pong: echoes (server) or counts and re-sends (client).
    private final class End: EventLoopChannel, @unchecked Sendable {
        let fd: Int32
        let isClient: Bool
        let target: Int
        var count = 0
        var pending = 0
        let done: DispatchSemaphore
        private var buffer = [UInt8](repeating: 0, count: 4096)
        private let message = [UInt8](repeating: 7, count: 64)

        init(fd: Int32, isClient: Bool, target: Int, done: DispatchSemaphore) {
            self.fd = fd
            self.isClient = isClient
            self.target = target
            self.done = done
        }

        func send() { _ = message.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, 64, Int32(MSG_NOSIGNAL)) } }

        func readable() {
            while true {
                let got = buffer.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress, $0.count, 0) }
                guard got > 0 else { return }
                pending += got
                while pending >= 64 {
                    pending -= 64
                    if !isClient {
                        send()
                    } else {
                        count += 1
                        if count == target { done.signal() } else if count < target { send() }
                    }
                }
            }
        }

        func writable() {}
        func flush() {}
    }

    private static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    private static func socketPair() -> (Int32, Int32) {
        var fds: [Int32] = [0, 0]
        _ = socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &fds)
        return (fds[0], fds[1])
    }

    private static func measure(_ roundTrips: Int, _ body: (DispatchSemaphore) -> Void) -> Result {
        let done = DispatchSemaphore(value: 0)
        let cpu = cpuSeconds()
        let start = ContinuousClock.now
        body(done)
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return Result(roundTripsPerSecond: Double(roundTrips) / seconds,
                      cpuMicrosPerRoundTrip: (cpuSeconds() - cpu) / Double(roundTrips) * 1e6)
    }

    /// Ping-pong driven by two epoll event loops.
    package static func epoll(roundTrips: Int) throws -> Result {
        let (a, b) = socketPair()
        defer { Glibc.close(a); Glibc.close(b) }
        let loops = try EventLoopGroup(threads: 2, name: "compare")
        defer { loops.shutdown() }
        return measure(roundTrips) { done in
            let client = End(fd: a, isClient: true, target: roundTrips, done: done)
            let server = End(fd: b, isClient: false, target: roundTrips, done: done)
            loops.loops[0].execute { try? loops.loops[0].register(client, fd: a); client.send() }
            loops.loops[1].execute { try? loops.loops[1].register(server, fd: b) }
            done.wait()
            loops.loops[0].execute { loops.loops[0].deregister(fd: a) }
            loops.loops[1].execute { loops.loops[1].deregister(fd: b) }
        }
    }

    /// Ping-pong driven by two Dispatch read sources on serial queues.
    package static func dispatchSources(roundTrips: Int) -> Result {
        let (a, b) = socketPair()
        defer { Glibc.close(a); Glibc.close(b) }
        return measure(roundTrips) { done in
            let client = End(fd: a, isClient: true, target: roundTrips, done: done)
            let server = End(fd: b, isClient: false, target: roundTrips, done: done)
            let clientSource = DispatchSource.makeReadSource(fileDescriptor: a, queue: DispatchQueue(label: "client"))
            let serverSource = DispatchSource.makeReadSource(fileDescriptor: b, queue: DispatchQueue(label: "server"))
            clientSource.setEventHandler { client.readable() }
            serverSource.setEventHandler { server.readable() }
            clientSource.resume()
            serverSource.resume()
            client.send()
            done.wait()
            clientSource.cancel()
            serverSource.cancel()
        }
    }
}
