// Histogram percentiles agree with exactly computed nearest-rank percentiles of known samples,
// within the histogram's stated precision (1/128 relative).

import Testing
@testable import LoadHarness

@Suite struct LatencyHistogramTests {
    /// Exact nearest-rank percentile of sorted samples.
    func exact(_ sorted: [UInt64], _ p: Double) -> UInt64 {
        let rank = max(1, Int((p / 100 * Double(sorted.count)).rounded(.up)))
        return sorted[rank - 1]
    }

    @Test func bucketsCoverEveryValueOnce() {
        var previousUpper: UInt64?
        for index in 0..<LatencyHistogram.bucketCount {
            let range = LatencyHistogram.range(of: index)
            if let previousUpper { #expect(range.lowerBound == previousUpper &+ 1) }
            #expect(LatencyHistogram.index(of: range.lowerBound) == index)
            #expect(LatencyHistogram.index(of: range.upperBound) == index)
            previousUpper = range.upperBound
        }
        #expect(previousUpper == UInt64.max)
    }

    @Test(arguments: [1, 7, 42])
    func percentilesMatchExactValues(seed: UInt64) {
        var generator = SplitMix(seed: seed)
        var samples: [UInt64] = []
        var histogram = LatencyHistogram()
        // A long-tailed mix: most around 200 µs, some ms, a few up to seconds.
        for _ in 0..<50_000 {
            let roll = generator.next() % 1000
            let value: UInt64 = roll < 900 ? 150_000 + generator.next() % 100_000
                : roll < 995 ? 1_000_000 + generator.next() % 9_000_000 : 50_000_000 + generator.next() % 2_000_000_000
            samples.append(value)
            histogram.record(value)
        }
        samples.sort()
        for p in [50.0, 90, 99, 99.9, 99.99, 100] {
            let truth = Double(exact(samples, p))
            let reported = Double(histogram.percentile(p))
            #expect(reported >= truth, "p\(p): \(reported) < \(truth)")
            #expect(reported <= truth * (1 + 1.0 / 128), "p\(p): \(reported) vs \(truth)")
        }
        #expect(histogram.maximum == samples.last)
        #expect(histogram.minimum == samples.first)
        #expect(histogram.totalCount == 50_000)
    }

    @Test func smallValuesAreExact() {
        var histogram = LatencyHistogram()
        for value in 1...100 as ClosedRange<UInt64> { histogram.record(value) }
        #expect(histogram.percentile(50) == 50)
        #expect(histogram.percentile(99) == 99)
        #expect(histogram.percentile(100) == 100)
        #expect(histogram.mean == 50.5)
    }

    @Test func mergeEqualsRecordingEverything() {
        var a = LatencyHistogram(), b = LatencyHistogram(), all = LatencyHistogram()
        for value in stride(from: 1000 as UInt64, to: 5_000_000, by: 997) {
            if value % 2 == 0 { a.record(value) } else { b.record(value) }
            all.record(value)
        }
        a.merge(b)
        #expect(a == all)
    }
}

/// Deterministic PRNG so failures reproduce.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
