// An HDR-style latency histogram: log-linear buckets (128 linear sub-buckets per power of two),
// so any recorded value is reported within 1/128 (0.8 %) of itself, in fixed memory (~60 KiB)
// whatever the number of samples. Load generators record into one per worker and merge.

/// Log-linear histogram of non-negative integer values (nanoseconds by convention).
public struct LatencyHistogram: Sendable, Equatable {
    /// Values below this are counted exactly.
    static let linearLimit: UInt64 = 256
    static let subBuckets: UInt64 = 128
    static let bucketCount = Int(linearLimit) + 56 * Int(subBuckets)

    public private(set) var counts: [UInt64]
    public private(set) var totalCount: UInt64 = 0
    public private(set) var minimum: UInt64 = .max
    public private(set) var maximum: UInt64 = 0
    public private(set) var sum: Double = 0

    public init() {
        counts = [UInt64](repeating: 0, count: Self.bucketCount)
    }

    /// Bucket index of `value`.
    static func index(of value: UInt64) -> Int {
        if value < linearLimit { return Int(value) }
        let shift = UInt64(64 - value.leadingZeroBitCount) - 8  // value >> shift lies in [128, 256)
        return Int(linearLimit + (shift - 1) * subBuckets + ((value >> shift) - subBuckets))
    }

    /// Smallest and largest value that land in bucket `index`.
    static func range(of index: Int) -> ClosedRange<UInt64> {
        let i = UInt64(index)
        if i < linearLimit { return i...i }
        let shift = (i - linearLimit) / subBuckets + 1
        let sub = (i - linearLimit) % subBuckets + subBuckets
        let low = sub << shift
        return low...(low + ((UInt64(1) << shift) - 1))
    }

    /// Records `value` `count` times.
    public mutating func record(_ value: UInt64, count: UInt64 = 1) {
        counts[Self.index(of: value)] += count
        totalCount += count
        minimum = Swift.min(minimum, value)
        maximum = Swift.max(maximum, value)
        sum += Double(value) * Double(count)
    }

    /// Records a duration in nanoseconds.
    public mutating func record(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let nanos = max(0, seconds) * 1_000_000_000 + attoseconds / 1_000_000_000
        record(UInt64(max(0, nanos)))
    }

    /// Adds another histogram's samples.
    public mutating func merge(_ other: LatencyHistogram) {
        for index in counts.indices where other.counts[index] != 0 { counts[index] += other.counts[index] }
        totalCount += other.totalCount
        minimum = Swift.min(minimum, other.minimum)
        maximum = Swift.max(maximum, other.maximum)
        sum += other.sum
    }

    /// The value at percentile `p` (0...100) by nearest rank: the highest value equivalent to
    /// the bucket holding the ceil(p/100 · n)-th smallest sample, capped by the true maximum.
    public func percentile(_ p: Double) -> UInt64 {
        guard totalCount > 0 else { return 0 }
        let rank = Swift.max(1, UInt64((p / 100 * Double(totalCount)).rounded(.up)))
        var seen: UInt64 = 0
        for (index, count) in counts.enumerated() where count != 0 {
            seen += count
            if seen >= rank { return Swift.min(Self.range(of: index).upperBound, maximum) }
        }
        return maximum
    }

    public var mean: Double { totalCount == 0 ? 0 : sum / Double(totalCount) }
}
