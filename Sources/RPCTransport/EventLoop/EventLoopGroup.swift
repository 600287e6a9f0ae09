// A fixed set of event loops; connections are spread over them round-robin. Sized to the cores
// available by default: more loops than cores only add context switches.

import CShims
import Synchronization

/// Several event loops, each on its own thread.
final class EventLoopGroup: Sendable {
    let loops: [EventLoop]
    private let cursor = Atomic<Int>(0)

    /// - Parameter cpus: when not empty, loop `i` pins its thread to CPU `cpus[i % cpus.count]`
    ///   (best effort: a CPU outside the process's allowed set leaves the thread unpinned).
    init(threads: Int, name: String, cpus: [Int] = []) throws(TransportError) {
        var loops: [EventLoop] = []
        for index in 0..<max(1, threads) { loops.append(try EventLoop(name: "\(name)-\(index)")) }
        self.loops = loops
        for loop in loops { loop.start() }
        guard !cpus.isEmpty else { return }
        for (index, loop) in loops.enumerated() {
            let cpu = Int32(cpus[index % cpus.count])
            loop.execute { _ = cshim_pin_current_thread(cpu) }
        }
    }

    /// The next loop in round-robin order.
    func next() -> EventLoop {
        loops[cursor.add(1, ordering: .relaxed).oldValue % loops.count]
    }

    /// Stops every loop and joins its thread.
    func shutdown() {
        for loop in loops { loop.shutdown() }
    }
}
