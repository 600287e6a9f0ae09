// The three metric kinds. Counters and gauges are lock-free atomics; histograms take a short
// lock per observation, which is far below the cost of any HSM or network operation they time.

import Synchronization

/// A monotonically increasing count.
public final class Counter: Sendable {
    private let storage = Atomic<UInt64>(0)

    public init() {}

    public func increment(by amount: UInt64 = 1) { storage.add(amount, ordering: .relaxed) }
    public var value: UInt64 { storage.load(ordering: .relaxed) }
}

/// A value that goes up and down (queue depth, open sessions).
public final class Gauge: Sendable {
    private let bits = Atomic<UInt64>(0)

    public init() {}

    public func set(_ value: Double) { bits.store(value.bitPattern, ordering: .relaxed) }
    public var value: Double { Double(bitPattern: bits.load(ordering: .relaxed)) }
}

/// Counts observations into fixed buckets (upper bounds), plus sum and count.
public final class Histogram: Sendable {
    /// Default buckets for latencies in seconds: 50 µs to 10 s.
    public static let latencySecondsBuckets: [Double] = [
        0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ]
    /// Buckets for batch sizes.
    public static let sizeBuckets: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]

    public struct Snapshot: Sendable {
        public var bucketCounts: [UInt64]
        public var sum: Double
        public var count: UInt64
    }

    private let bounds: [Double]
    private let state: Mutex<Snapshot>

    public init(buckets: [Double]) {
        bounds = buckets
        state = Mutex(Snapshot(bucketCounts: [UInt64](repeating: 0, count: buckets.count), sum: 0, count: 0))
    }

    public func observe(_ value: Double) {
        let index = bounds.firstIndex { value <= $0 }
        state.withLock { snapshot in
            if let index { snapshot.bucketCounts[index] += 1 }
            snapshot.sum += value
            snapshot.count += 1
        }
    }

    /// Records a duration in seconds.
    public func observe(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        observe(Double(seconds) + Double(attoseconds) / 1e18)
    }

    public func snapshot() -> Snapshot { state.withLock { $0 } }
}
