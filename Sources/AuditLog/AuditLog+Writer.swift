// The two threads behind an open log. The writer owns all file I/O and performs the jobs the
// group-commit state hands out; the watchdog fails awaited appends whose deadline passes, which
// is what bounds an append's wait even when the writer is stuck inside a hung fdatasync. Both
// are plain threads, not tasks: they block in system calls and must never hold up Swift's
// cooperative pool.

import Foundation

extension AuditLog {
    /// Starts the writer and watchdog threads.
    func startThreads() {
        lock.withLock {
            writerRunning = true
            watchdogRunning = true
        }
        let writer = Thread { [self] in runWriter() }
        writer.name = "audit-writer"
        writer.start()
        let watchdog = Thread { [self] in runWatchdog() }
        watchdog.name = "audit-watchdog"
        watchdog.start()
    }

    private func runWriter() {
        lock.lock()
        loop: while true {
            switch state.nextStep(now: .now) {
            case .exit:
                break loop
            case .sleep(let deadline):
                lock.wait(.writer, until: deadline)
            case .write(let job):
                lock.unlock()
                let outcome = perform(job)
                lock.lock()
                let now = ContinuousClock.now
                switch outcome {
                case .success(let (head, receipts)):
                    let (completions, checkpoint) = state.finishSucceeded(job, newHead: head, receipts: receipts, now: now)
                    let resumptions = takeContinuations(completions)
                    lock.unlock()
                    resume(resumptions)
                    if let checkpoint { startPeriodicCheckpoint(checkpoint) }
                    lock.lock()
                case .failure(let error):
                    let resumptions = takeContinuations(state.finishFailed(job, error: error, now: now))
                    lock.unlock()
                    resume(resumptions)
                    lock.lock()
                }
            }
        }
        writerRunning = false
        lock.unlock()
    }

    /// Writes one job: cut back a failed write, seal the records onto the chain, one write, one
    /// fdatasync. Nothing is reported durable unless all of it succeeded.
    private func perform(_ job: GroupCommitState.WriteJob)
        -> Result<(GroupCommitState.ChainHead, [AuditReceipt]), AuditError> {
        do {
            var truncated: UInt64 = 0
            if job.truncate {
                let size = try sink.size()
                if size > job.start.offset {
                    try sink.truncate(to: job.start.offset)
                    truncated = size - job.start.offset
                }
            }
            var buffer = [UInt8]()
            buffer.reserveCapacity(job.items.count * 400 + 600)
            var seq = job.start.seq
            var hash = job.start.hash
            if let note = job.recovery {
                seq += 1
                let sealed = AuditRecord.seal(seq: seq, time: .now(), body: note.body(truncatedBytes: truncated), prev: hash)
                buffer += sealed.line
                hash = sealed.record.hash
            }
            var receipts: [AuditReceipt] = []
            receipts.reserveCapacity(job.items.count)
            for item in job.items {
                seq += 1
                let sealed = AuditRecord.seal(seq: seq, time: item.time, body: item.body, prev: hash)
                buffer += sealed.line
                hash = sealed.record.hash
                receipts.append(AuditReceipt(seq: seq, hash: hash))
            }
            guard seq <= AuditRecord.maxSeq else {
                return .failure(AuditError(.unavailable, "the audit log reached its largest sequence number; rotate it"))
            }
            if !buffer.isEmpty { try sink.write(buffer, at: job.start.offset) }
            if !buffer.isEmpty || truncated > 0 { try sink.synchronize() }
            let head = GroupCommitState.ChainHead(seq: seq, hash: hash, offset: job.start.offset + UInt64(buffer.count))
            return .success((head, receipts))
        } catch let error as AuditError {
            return .failure(error)
        } catch {
            return .failure(AuditError(.io, "audit file operation failed: \(error)", cause: error))
        }
    }

    private func runWatchdog() {
        lock.lock()
        while !state.exitRequested {
            let (completions, nextDeadline) = state.expire(now: .now)
            if completions.isEmpty {
                lock.wait(.watchdog, until: nextDeadline)
                continue
            }
            let resumptions = takeContinuations(completions)
            // A failure detected here must reach the writer: it may be idle and needs to retry.
            lock.wake(.writer)
            lock.unlock()
            resume(resumptions)
            lock.lock()
        }
        watchdogRunning = false
        lock.unlock()
    }
}
