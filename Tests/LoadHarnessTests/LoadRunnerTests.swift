// The runner counts what it should, and open-loop latencies include queueing behind a stalled
// server (the coordinated-omission trap), while closed-loop latencies by design do not.

import Foundation
import RPCCore
import Synchronization
import Testing
@testable import LoadHarness

@Suite struct LoadRunnerTests {
    @Test func closedLoopCountsSuccessesAndErrorsByCode() async {
        let runner = LoadRunner { index in
            if index % 10 == 9 { throw RPCError(.resourceExhausted, "full") }
            try await Task.sleep(for: .milliseconds(1))
        }
        let result = await runner.run(.closedLoop(concurrency: 4), duration: .milliseconds(300))
        #expect(result.completed > 50)
        let errors = result.errors["RESOURCE_EXHAUSTED"] ?? 0
        #expect(errors > 0)
        let total = Double(result.completed + errors)
        #expect(abs(Double(errors) / total - 0.1) < 0.05)
        #expect(result.latency.percentile(50) >= 1_000_000)
    }

    /// A server that answers in 1 ms except for one 500 ms stall. Offered 200 requests/s with one
    /// request allowed in flight: every arrival during the stall queues, so an honest open-loop
    /// measurement sees ~100 requests delayed by up to ~500 ms; p90 must reflect that. A naive
    /// measurement from the actual send time would report ~1 ms for all but one request.
    @Test func openLoopIncludesQueueingTimeDuringAStall() async {
        let clock = ContinuousClock()
        let stallStart = clock.now + .milliseconds(200)
        let stalled = Atomic<Bool>(false)
        let runner = LoadRunner { _ in
            if clock.now >= stallStart, !stalled.exchange(true, ordering: .relaxed) {
                try await Task.sleep(for: .milliseconds(500))
            } else {
                try await Task.sleep(for: .milliseconds(1))
            }
        }
        let result = await runner.run(.openLoop(ratePerSecond: 200, maxInFlight: 1), duration: .seconds(1))
        let p90 = Double(result.latency.percentile(90)) / 1e6
        let maximum = Double(result.latency.maximum) / 1e6
        #expect(result.errorCount == 0)
        #expect(maximum >= 450, "max \(maximum) ms")
        #expect(p90 >= 100, "p90 \(p90) ms should include queueing behind the stall")
    }

    @Test func openLoopOffersTheRequestedRate() async {
        let runner = LoadRunner { _ in }
        let result = await runner.run(.openLoop(ratePerSecond: 500, maxInFlight: 16), duration: .milliseconds(800))
        #expect(result.completed >= 380 && result.completed <= 402, "completed \(result.completed)")
    }
}
