// The second half of the group-commit state machine: what happens when a batch is durable, when
// it fails, when deadlines pass and when a checkpoint signature comes back. Failures never
// advance the chain head, so the next successful batch always continues from the last durable
// record; see docs/AUDIT.md, "Failure and recovery".

extension GroupCommitState {
    /// Asks the writer to sign a checkpoint over this durable (seq, hash).
    struct CheckpointRequest: Hashable {
        var seq: UInt64
        var hash: [UInt8]
    }

    /// The job is durable: advance the head, answer its waiters, maybe ask for a checkpoint.
    mutating func finishSucceeded(_ job: WriteJob, newHead: ChainHead, receipts: [AuditReceipt],
                                  now: Instant) -> (completions: [Completion], checkpoint: CheckpointRequest?) {
        writerBusySince = nil
        head = newHead
        failedSince = nil
        nextRetry = nil
        needsTruncate = false
        counters.batches += 1
        counters.records += UInt64(receipts.count + (job.recovery == nil ? 0 : 1))
        var completions: [Completion] = []
        for (item, receipt) in zip(job.items, receipts) {
            if case .checkpoint = item.body { lastCheckpointSeq = receipt.seq }
            guard let ticket = item.ticket else { continue }
            if deadlines.removeValue(forKey: ticket) != nil {
                completions.append(Completion(ticket: ticket, result: .success(receipt)))
            } else {
                counters.durableAfterTimeout += 1
            }
        }
        return (completions, checkpointRequest(now: now))
    }

    /// The job failed: nothing of it counts as written. Awaited records fail closed; fire-and-
    /// forget records go back to the front of the queue for the next attempt.
    mutating func finishFailed(_ job: WriteJob, error: AuditError, now: Instant) -> [Completion] {
        writerBusySince = nil
        if failedSince == nil { failedSince = now }
        lastFailure = error
        nextRetry = now.advanced(by: configuration.retryInterval)
        needsTruncate = true
        counters.failedWrites += 1
        var note = job.recovery ?? RecoveryNote()
        if let newer = recoveryNote { note.merge(newer) }
        note.failedWrites += 1
        note.addReason(error.message)
        var completions: [Completion] = []
        var retained: [Item] = []
        for item in job.items {
            if let ticket = item.ticket {
                note.droppedRecords += 1
                if deadlines.removeValue(forKey: ticket) != nil {
                    completions.append(Completion(ticket: ticket, result: .failure(
                        .unavailable("the audit record could not be written: \(error.message)", cause: error))))
                }
            } else {
                retained.append(item)
            }
        }
        let room = max(0, configuration.maxPendingRecords - pending.count)
        if retained.count > room {
            note.droppedRecords += retained.count - room
            counters.droppedRecords += UInt64(retained.count - room)
            retained.removeLast(retained.count - room)
        }
        pending.insert(contentsOf: retained, at: 0)
        recoveryNote = note
        return completions
    }

    /// Fails every awaited append whose deadline has passed; returns them and the next deadline.
    mutating func expire(now: Instant) -> (completions: [Completion], nextDeadline: Instant?) {
        var expired: Set<UInt64> = []
        var nextDeadline: Instant?
        for (ticket, deadline) in deadlines {
            if deadline <= now {
                expired.insert(ticket)
            } else if nextDeadline.map({ deadline < $0 }) ?? true {
                nextDeadline = deadline
            }
        }
        guard !expired.isEmpty else { return ([], nextDeadline) }
        let error = AuditError.unavailable("the audit record was not durable within \(configuration.timeout); "
            + "failing closed", cause: lastFailure)
        var completions: [Completion] = []
        for ticket in expired.sorted() {
            deadlines.removeValue(forKey: ticket)
            completions.append(Completion(ticket: ticket, result: .failure(error)))
        }
        // A caller told "failed" must not later find an "OK" record it never got: drop what is
        // still queued. Records already in the writer's hands may still land (over-logging only).
        pending.removeAll { $0.ticket.map(expired.contains) ?? false }
        counters.timedOutAppends += UInt64(expired.count)
        var note = recoveryNote ?? RecoveryNote()
        note.timedOutAppends += expired.count
        note.addReason("writes did not complete within \(configuration.timeout)")
        recoveryNote = note
        if failedSince == nil {
            failedSince = now
            nextRetry = now
            lastFailure = AuditError.unavailable("writes did not complete within \(configuration.timeout)")
        }
        return (completions, nextDeadline)
    }

    /// Whether a periodic checkpoint is due, and if so marks it in flight.
    private mutating func checkpointRequest(now: Instant) -> CheckpointRequest? {
        guard configuration.hasSigner, configuration.checkpointInterval > 0, !checkpointInFlight,
              head.seq >= lastCheckpointSeq + configuration.checkpointInterval,
              checkpointRetryAt.map({ $0 <= now }) ?? true else { return nil }
        checkpointInFlight = true
        return CheckpointRequest(seq: head.seq, hash: head.hash)
    }

    /// A requested checkpoint was signed; returns whether it is still close enough to the head to
    /// be written (otherwise the caller should ask again).
    mutating func checkpointSigned(covering seq: UInt64) -> Bool {
        checkpointInFlight = false
        return head.seq - seq < UInt64(AuditChainValidator.checkpointLookback / 2)
    }

    /// The signer failed; try again after the retry interval.
    mutating func checkpointFailed(_ error: AuditError, now: Instant) {
        checkpointInFlight = false
        checkpointRetryAt = now.advanced(by: configuration.retryInterval)
        counters.checkpointFailures += 1
        lastFailure = error
    }

    /// Counts records dropped without a write attempt (backlog full).
    mutating func noteDrop(count: Int, reason: String) {
        var note = recoveryNote ?? RecoveryNote()
        note.droppedRecords += count
        note.addReason(reason)
        recoveryNote = note
        counters.droppedRecords += UInt64(count)
    }
}
