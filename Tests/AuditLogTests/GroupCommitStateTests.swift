// The group-commit rules on their own, with a hand-driven clock and no file: batching, fail-closed
// deadlines, what a failure does to queued records, retry pacing, and checkpoint scheduling.

import Testing
@testable import AuditLog

@Suite struct GroupCommitStateTests {
    typealias State = GroupCommitState
    let t0 = ContinuousClock.now

    func makeState(maxBatch: Int = 100, maxPending: Int = 1000, interval: UInt64 = 0, signer: Bool = false) -> State {
        State(configuration: .init(timeout: .seconds(1), retryInterval: .milliseconds(200), maxBatchRecords: maxBatch,
                                   maxPendingRecords: maxPending, checkpointInterval: interval, hasSigner: signer),
              head: .init(seq: 10, hash: [UInt8](repeating: 7, count: 32), offset: 1000), lastCheckpointSeq: 0,
              recoveryNote: nil)
    }

    func enqueue(_ state: inout State, _ n: Int, awaited: Bool = true, at offset: Duration = .zero) -> UInt64? {
        guard case .accepted(let ticket, _, _) = state.enqueue(.call(.sign(n)), time: AuditTimestamp(unixMillis: Int64(n)),
                                                                awaited: awaited, now: t0 + offset) else { return nil }
        return ticket
    }

    func job(_ state: inout State, at offset: Duration = .zero) -> State.WriteJob? {
        if case .write(let job) = state.nextStep(now: t0 + offset) { return job }
        return nil
    }

    func receipts(for job: State.WriteJob) -> (State.ChainHead, [AuditReceipt]) {
        let receipts = job.items.indices.map { AuditReceipt(seq: job.start.seq + UInt64($0) + 1, hash: [UInt8($0)]) }
        let head = State.ChainHead(seq: job.start.seq + UInt64(job.items.count), hash: receipts.last?.hash ?? job.start.hash,
                                   offset: job.start.offset + 100)
        return (head, receipts)
    }

    @Test func everythingQueuedGoesIntoOneBatchInOrder() throws {
        var state = makeState(maxBatch: 3)
        let tickets = (0..<5).map { enqueue(&state, $0) }
        let first = try #require(job(&state))
        #expect(first.items.map(\.ticket) == Array(tickets.prefix(3)))
        #expect(first.start.seq == 10)
        #expect(!first.truncate && first.recovery == nil)
        let (head, receiptList) = receipts(for: first)
        let done = state.finishSucceeded(first, newHead: head, receipts: receiptList, now: t0)
        #expect(done.completions.map(\.ticket) == Array(tickets.prefix(3)).compactMap { $0 })
        #expect(done.completions.compactMap { try? $0.result.get().seq } == [11, 12, 13])
        let second = try #require(job(&state))
        #expect(second.items.count == 2 && second.start.seq == 13)
        #expect(state.writerBusySince != nil)
    }

    @Test func idleWriterSleepsAndWakesOnAppend() {
        var state = makeState()
        guard case .sleep(nil) = state.nextStep(now: t0) else { Issue.record("expected an idle sleep"); return }
        guard case .accepted(_, let wakeWriter, let wakeWatchdog) = state.enqueue(
            .call(.sign(1)), time: .now(), awaited: true, now: t0) else { Issue.record("rejected"); return }
        #expect(wakeWriter && wakeWatchdog)
        guard case .accepted(_, _, let wakeAgain) = state.enqueue(.call(.sign(2)), time: .now(), awaited: true, now: t0) else {
            Issue.record("rejected"); return
        }
        #expect(!wakeAgain, "the watchdog already sleeps until an earlier deadline")
    }

    @Test func failureFailsAwaitedKeepsDetachedAndRecoversWithTruncateAndNote() throws {
        var state = makeState()
        let awaited = enqueue(&state, 1)
        _ = enqueue(&state, 2, awaited: false)
        let failing = try #require(job(&state))
        let error = AuditError.system("write", path: "x", errno: 28)
        let failed = state.finishFailed(failing, error: error, now: t0)
        #expect(failed.map(\.ticket) == [awaited!])
        guard case .failure(let reported)? = failed.first?.result else { Issue.record("expected a failure"); return }
        #expect(reported.code == .unavailable && reported.systemErrno == 28)
        #expect(!state.isHealthy && state.head.seq == 10, "a failed batch never advances the head")
        #expect(state.pending.count == 1, "the detached record waits for the retry")
        // Not yet due, and a detached append does not force a retry.
        _ = enqueue(&state, 3, awaited: false, at: .milliseconds(50))
        guard case .sleep(let until) = state.nextStep(now: t0 + .milliseconds(50)) else {
            Issue.record("should wait for the retry interval"); return
        }
        #expect(until == t0 + .milliseconds(200))
        // An awaited append asks for an immediate retry.
        _ = enqueue(&state, 4, at: .milliseconds(60))
        let retry = try #require(job(&state, at: .milliseconds(60)))
        #expect(retry.truncate && retry.start.offset == 1000)
        #expect(retry.recovery?.failedWrites == 1 && retry.recovery?.droppedRecords == 1)
        #expect(retry.items.count == 3)
        let (head, receiptList) = receipts(for: retry)
        _ = state.finishSucceeded(retry, newHead: head, receipts: receiptList, now: t0 + .milliseconds(70))
        #expect(state.isHealthy && state.recoveryNote == nil)
    }

    @Test func failedLogProbesByItselfAfterTheRetryInterval() throws {
        var state = makeState()
        _ = enqueue(&state, 1)
        let failing = try #require(job(&state))
        _ = state.finishFailed(failing, error: AuditError(.io, "EIO"), now: t0)
        let probe = try #require(job(&state, at: .milliseconds(200)))
        #expect(probe.items.isEmpty && probe.recovery != nil && probe.truncate)
        _ = state.finishFailed(probe, error: AuditError(.io, "EIO"), now: t0 + .milliseconds(200))
        #expect(state.recoveryNote?.failedWrites == 2)
    }

    @Test func deadlinesFailClosedAndStalledWriterRefusesAtOnce() throws {
        var state = makeState()
        let first = enqueue(&state, 1)
        let stuck = try #require(job(&state))
        let queued = enqueue(&state, 2, at: .milliseconds(500))
        var expired = state.expire(now: t0 + .milliseconds(999))
        #expect(expired.completions.isEmpty && expired.nextDeadline == t0 + .seconds(1))
        expired = state.expire(now: t0 + .seconds(1))
        #expect(expired.completions.map(\.ticket) == [first!])
        #expect(expired.nextDeadline == t0 + .milliseconds(1500))
        #expect(!state.isHealthy)
        guard case .rejected(let error) = state.enqueue(.call(.sign(3)), time: .now(), awaited: true,
                                                        now: t0 + .milliseconds(1100)) else {
            Issue.record("a stalled writer must refuse awaited appends at once"); return
        }
        #expect(error.code == .unavailable)
        expired = state.expire(now: t0 + .milliseconds(1500))
        #expect(expired.completions.map(\.ticket) == [queued!])
        #expect(state.pending.isEmpty, "a timed-out record still queued is dropped, never written later")
        // The stuck write finally lands: the log is healthy again and says what happened.
        let (head, receiptList) = receipts(for: stuck)
        let late = state.finishSucceeded(stuck, newHead: head, receipts: receiptList, now: t0 + .seconds(2))
        #expect(late.completions.isEmpty && state.counters.durableAfterTimeout == 1)
        #expect(state.isHealthy)
        let note = try #require(job(&state, at: .seconds(2))?.recovery)
        #expect(note.timedOutAppends == 2)
    }

    @Test func closedLogRefusesExceptForItsOwnCheckpoint() {
        var state = makeState()
        state.stopAccepting()
        guard case .rejected(let error) = state.enqueue(.call(.sign(1)), time: .now(), awaited: true, now: t0) else {
            Issue.record("closed log accepted an append"); return
        }
        #expect(error.code == .closed)
        guard case .accepted = state.enqueue(.call(.sign(1)), time: .now(), awaited: true, duringClose: true, now: t0) else {
            Issue.record("close could not queue its checkpoint"); return
        }
    }

    @Test func fullBacklogRefusesAwaitedAndCountsDroppedDetached() {
        var state = makeState(maxPending: 2)
        _ = enqueue(&state, 1)
        _ = enqueue(&state, 2)
        guard case .rejected = state.enqueue(.call(.sign(3)), time: .now(), awaited: true, now: t0) else {
            Issue.record("backlog overflow accepted"); return
        }
        _ = enqueue(&state, 4, awaited: false)
        #expect(state.counters.droppedRecords == 1 && state.recoveryNote?.droppedRecords == 1)
    }

    @Test func checkpointsAreRequestedEveryIntervalOneAtATime() throws {
        var state = makeState(interval: 5, signer: true)
        for n in 0..<5 { _ = enqueue(&state, n) }
        let batch = try #require(job(&state))
        let (head, receiptList) = receipts(for: batch)
        let request = try #require(state.finishSucceeded(batch, newHead: head, receipts: receiptList, now: t0).checkpoint)
        #expect(request.seq == 15 && request.hash == head.hash)
        for n in 0..<5 { _ = enqueue(&state, n) }
        let next = try #require(job(&state))
        let (head2, receipts2) = receipts(for: next)
        #expect(state.finishSucceeded(next, newHead: head2, receipts: receipts2, now: t0).checkpoint == nil,
                "no second request while one is in flight")
        let stillClose = state.checkpointSigned(covering: 15)
        #expect(stillClose)
        // Written checkpoint resets the count.
        _ = state.enqueue(.checkpoint(AuditCheckpoint(coveredSeq: 15, coveredHash: head.hash, time: .now(), signature: [],
                                                      keyName: "k", keyVersion: 1)),
                          time: .now(), awaited: false, duringClose: true, now: t0)
        let cp = try #require(job(&state))
        let (head3, receipts3) = receipts(for: cp)
        #expect(state.finishSucceeded(cp, newHead: head3, receipts: receipts3, now: t0).checkpoint == nil)
        #expect(state.lastCheckpointSeq == 21)
        state.checkpointFailed(AuditError(.signingFailed, "x"), now: t0)
        #expect(state.counters.checkpointFailures == 1)
    }
}
