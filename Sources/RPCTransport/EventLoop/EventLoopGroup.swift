// A fixed set of event loops; connections are spread over them round-robin. Sized to the cores
// available by default: more loops than cores only add context switches.

import Synchronization

/// Several event loops, each on its own thread.
final class EventLoopGroup: Sendable {
    let loops: [EventLoop]
    private let cursor = Atomic<Int>(0)

    init(threads: Int, name: String) throws(TransportError) {
        var loops: [EventLoop] = []
        for index in 0..<max(1, threads) { loops.append(try EventLoop(name: "\(name)-\(index)")) }
        self.loops = loops
        for loop in loops { loop.start() }
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
