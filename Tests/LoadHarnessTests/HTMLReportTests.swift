// The report is a self-contained page with both plots and one table row per sweep step.

import Testing
@testable import LoadHarness

@Suite struct HTMLReportTests {
    func result(throughput: Double, latencyMillis: UInt64) -> LoadResult {
        var histogram = LatencyHistogram()
        for i in 0..<100 as Range<UInt64> { histogram.record(latencyMillis * 1_000_000 + i * 10_000) }
        return LoadResult(shape: .openLoop(ratePerSecond: throughput, maxInFlight: 8), elapsedSeconds: 1,
                          completed: UInt64(throughput), errors: [:], latency: histogram, firstError: nil)
    }

    @Test func rendersPlotsAndTable() {
        let steps = [SweepStep(offeredRate: 100, result: result(throughput: 100, latencyMillis: 1)),
                     SweepStep(offeredRate: 150, result: result(throughput: 149, latencyMillis: 2)),
                     SweepStep(offeredRate: 225, result: result(throughput: 180, latencyMillis: 40))]
        let html = HTMLReport(title: "Sign <unary>", steps: steps, focus: steps[1].result).render()
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("<svg id=\"latency-vs-throughput\""))
        #expect(html.contains("<svg id=\"percentile-curve\""))
        #expect(html.components(separatedBy: "class=\"series\"").count - 1 == 4)
        #expect(html.components(separatedBy: "<tr><td>").count - 1 == 3)
        #expect(html.contains("Sign &lt;unary&gt;"))
        #expect(!html.contains("<script"))
    }

    @Test func saturationIsDetected() {
        #expect(RateSweep.isSaturated(SweepStep(offeredRate: 225, result: result(throughput: 180, latencyMillis: 1))))
        #expect(!RateSweep.isSaturated(SweepStep(offeredRate: 100, result: result(throughput: 99, latencyMillis: 1))))
    }
}
