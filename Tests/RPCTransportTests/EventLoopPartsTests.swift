// Value-level parts of the transport: the timer heap and the backoff schedule.

import Testing
@testable import RPCTransport

@Suite struct EventLoopPartsTests {
    @Test func timersFireInDeadlineOrderAndCancelledOnesDoNot() {
        var queue = TimerQueue()
        let base = ContinuousClock.now
        var fired: [Int] = []
        var ids: [TimerID] = []
        for offset in [50, 10, 30, 20, 40] {
            ids.append(queue.schedule(at: base + .milliseconds(offset)) { fired.append(offset) })
        }
        queue.cancel(ids[2])  // the 30 ms timer
        #expect(queue.nextDeadline() == base + .milliseconds(10))
        for action in queue.popDue(now: base + .milliseconds(25)) { action() }
        #expect(fired == [10, 20])
        for action in queue.popDue(now: base + .milliseconds(100)) { action() }
        #expect(fired == [10, 20, 40, 50])
        #expect(queue.isEmpty)
    }

    @Test func manyCancelledTimersAreCompacted() {
        var queue = TimerQueue()
        let base = ContinuousClock.now
        var live = 0
        for index in 0..<10_000 {
            let id = queue.schedule(at: base + .seconds(10 + index)) { live += 1 }
            if index % 10 != 0 { queue.cancel(id) }
        }
        #expect(queue.count == 1000)
        for action in queue.popDue(now: base + .seconds(100_000)) { action() }
        #expect(live == 1000)
    }

    @Test func backoffGrowsAndIsCapped() {
        let backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(1), multiplier: 2, jitter: 0)
        #expect(backoff.delay(afterFailures: 1) == .milliseconds(100))
        #expect(backoff.delay(afterFailures: 3) == .milliseconds(400))
        #expect(backoff.delay(afterFailures: 30) == .seconds(1))
        let jittered = Backoff(initial: .milliseconds(100), jitter: 0.5).delay(afterFailures: 1)
        #expect(jittered >= .milliseconds(50) && jittered <= .milliseconds(100))
    }
}
