// The worker loop for runners that keep more than one batch outstanding (HSM worker processes).
// With one batch per round trip the child idles while its outcome frame travels back, the worker
// thread completes the jobs, gathers the next batch and ships it. Here the next batch is already
// queued in the pipe when the child finishes the current one, so the child signs back to back
// while the scheduler delivers outcomes. Up to 2 × B jobs are outstanding per worker, in as many
// frames as they arrived in (at most `pipelineDepth`); the bound keeps fairness and latency those
// of a short queue. A worker with room waits on both its child's pipe and a wake pipe the queue
// signals (WakePipe), so work arriving while a batch runs is shipped at once, not after that
// batch returns.

import Dispatch
import Foundation

extension Worker {
    /// Runs until the backend stops or this worker retires; returns true when it left because
    /// the token refused it a session.
    func pipelinedLoop(_ runner: any PipelinedBatchRunner) -> Bool {
        let batchSize = scheduler.configuration.batchSize
        let depth = max(1, runner.pipelineDepth)
        // Jobs outstanding at once: the batch running in the child and the next one queued.
        let jobLimit = 2 * batchSize
        var outstanding: [[Job]] = []   // oldest first
        var held: [Job] = []            // a batch too large to queue behind a running one
        var exiting = false
        var refused = false
        let wake = WakePipe()

        // `current` (what the health monitor steals when this worker hangs) mirrors
        // `outstanding`, kept up to date incrementally.
        /// Every outstanding batch is lost with the worker process: move its jobs on, plus
        /// `extra` jobs that failed with `outcome`.
        func loseAll(plus extra: [Job] = [], outcome: ExecutionOutcome? = nil) {
            let lost = outstanding.flatMap { $0 }
            outstanding.removeAll()
            busySince.store(0, ordering: .releasing)
            current.withLock { $0.removeAll() }
            var outcomes = Array(repeating: runner.lostBatchOutcome, count: lost.count)
            if let outcome { outcomes += Array(repeating: outcome, count: extra.count) }
            if deliver(outcomes, of: lost + extra) { refused = true; exiting = true }
        }

        while true {
            // Fill the pipeline: wait for work only when nothing is outstanding.
            while !exiting && outstanding.count < depth {
                let outstandingJobs = outstanding.reduce(0) { $0 + $1.count }
                if outstandingJobs >= jobLimit { break }
                var jobs: [Job]
                var fromQueue = true
                if !held.isEmpty {
                    fromQueue = false
                    if !outstanding.isEmpty { break }
                    jobs = held
                    held = []
                } else if outstanding.isEmpty {
                    guard let taken = backend.take(max: batchSize, shouldExit: { retired.load(ordering: .relaxed) }) else {
                        exiting = true
                        break
                    }
                    jobs = taken
                } else {
                    if retired.load(ordering: .relaxed) { break }
                    jobs = backend.takeAvailable(max: min(batchSize, jobLimit - outstandingJobs), orRegister: wake)
                    if jobs.isEmpty {
                        // Wait for whichever comes first: outcomes, or new work for the free slot.
                        guard let wake, let fd = runner.outcomesFD else {
                            if let wake { backend.unregister(wake) }
                            break
                        }
                        let ready = wake.wait(outcomesFD: fd, milliseconds: 250)
                        backend.unregister(wake)
                        wake.drain()
                        if ready == .outcomes { break }
                        continue
                    }
                }
                let live = fromQueue ? screen(jobs) : jobs
                if live.isEmpty { continue }
                if fromQueue { backend.inFlight.add(live.count, ordering: .relaxed) }
                let items = live.map { WorkItem(key: $0.key, operation: $0.operation, deadline: $0.deadline, awaitedAlone: $0.awaitedAlone) }
                switch runner.send(items, behindRunningBatch: !outstanding.isEmpty) {
                case .sent:
                    if outstanding.isEmpty { busySince.store(DispatchTime.now().uptimeNanoseconds, ordering: .releasing) }
                    outstanding.append(live)
                    current.withLock { $0.append(contentsOf: live) }
                case .tooLarge:
                    held = live
                case .failed(let outcome):
                    loseAll(plus: live, outcome: outcome)
                }
            }
            if outstanding.isEmpty {
                if exiting {
                    backend.inFlight.subtract(held.count, ordering: .relaxed)
                    for job in held where !job.isDone { scheduler.route(job) }
                    return refused
                }
                continue
            }
            // The runner answers the oldest batch it was sent, at most its remaining count.
            guard let outcomes = runner.receive() else {
                loseAll()
                continue
            }
            let answered = Array(outstanding[0].prefix(outcomes.count))
            if answered.count == outstanding[0].count {
                outstanding.removeFirst()
            } else {
                // The rest of this batch is still running: the jobs answered so far leave now.
                outstanding[0].removeFirst(answered.count)
            }
            // Progress (or the next outstanding batch starts running in the child now).
            busySince.store(outstanding.isEmpty ? 0 : DispatchTime.now().uptimeNanoseconds, ordering: .releasing)
            current.withLock { $0.removeFirst(min(answered.count, $0.count)) }
            if deliver(outcomes, of: answered) { refused = true; exiting = true }
        }
    }
}
