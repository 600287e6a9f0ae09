// Signed checkpoints and shutdown. Signing is an HSM round trip, so it never runs on the writer
// thread: the writer asks for a checkpoint over a durable (seq, hash), a task gets it signed, and
// the checkpoint record is queued like any other record, covering a record a little behind the
// head. Closing drains the queue, signs the final head and stops the threads.

extension AuditLog {
    /// Signs a checkpoint over the last durable record now, appends it and awaits durability.
    /// (The `CheckpointAudit` admin RPC returns this.)
    /// - Throws: ``AuditError`` — ``AuditError/Code/invalidArgument`` without a signer or with an
    ///   empty log, ``AuditError/Code/signingFailed``, or any error of ``append(_:)``.
    public func checkpoint() async throws -> AuditCheckpoint {
        try await checkpoint(duringClose: false)
    }

    private func checkpoint(duringClose: Bool) async throws -> AuditCheckpoint {
        guard let signer = options.signer else {
            throw AuditError(.invalidArgument, "the audit log has no checkpoint signer")
        }
        let head = lock.withLock { state.head }
        guard head.seq > 0 else { throw AuditError(.invalidArgument, "the audit log has no records to checkpoint") }
        let checkpoint = try await AuditLog.sign(with: signer, seq: head.seq, hash: head.hash)
        _ = try await enqueueAwaited(.checkpoint(checkpoint), time: checkpoint.time, duringClose: duringClose)
        return checkpoint
    }

    static func sign(with signer: any CheckpointSigner, seq: UInt64, hash: [UInt8]) async throws -> AuditCheckpoint {
        let time = AuditTimestamp.now()
        let message = AuditCheckpoint.signedMessage(coveredSeq: seq, coveredHash: hash, time: time)
        do {
            let signed = try await signer.sign(message)
            return AuditCheckpoint(coveredSeq: seq, coveredHash: hash, time: time, signature: signed.signature,
                                   keyName: signed.keyName, keyVersion: signed.keyVersion)
        } catch {
            throw AuditError(.signingFailed, "the audit key could not sign a checkpoint: \(error)", cause: error)
        }
    }

    /// Called by the writer thread when a periodic checkpoint is due.
    func startPeriodicCheckpoint(_ request: GroupCommitState.CheckpointRequest) {
        guard let signer = options.signer else { return }
        Task { [self] in
            do {
                let checkpoint = try await AuditLog.sign(with: signer, seq: request.seq, hash: request.hash)
                // Not `duringClose`: once closing, the final checkpoint is the one that counts.
                lock.withLock {
                    guard state.checkpointSigned(covering: request.seq) else { return }
                    if case .accepted(_, let wakeWriter, _) = state.enqueue(
                        .checkpoint(checkpoint), time: checkpoint.time, awaited: false, now: .now),
                        wakeWriter {
                        lock.wake(.writer)
                    }
                }
            } catch {
                let failure = error as? AuditError ?? AuditError(.signingFailed, "\(error)")
                lock.withLock { state.checkpointFailed(failure, now: .now) }
            }
        }
    }

    /// Writes what is queued, signs a final checkpoint (when there is a signer and records after
    /// the last checkpoint), stops the threads and closes the file. Later appends fail with
    /// ``AuditError/Code/closed``. Calling it again does nothing.
    /// - Throws: ``AuditError`` when the final records or checkpoint could not be written, or the
    ///   writer is stuck in a system call (the file is then left open).
    public func close() async throws {
        let wasOpen = lock.withLock {
            let accepting = state.isAccepting
            state.stopAccepting()
            return accepting
        }
        guard wasOpen else { return }
        var failure: AuditError?
        let timeout = options.durabilityTimeout
        if await !waitUntil(timeout: timeout, { $0.state.isIdle }) {
            failure = AuditError(.unavailable, "queued audit records were not written before close")
        }
        let needsCheckpoint = lock.withLock { state.head.seq > state.lastCheckpointSeq }
        if failure == nil, options.signer != nil, needsCheckpoint {
            do {
                _ = try await checkpoint(duringClose: true)
            } catch {
                failure = error as? AuditError ?? AuditError(.signingFailed, "\(error)")
            }
        }
        let (leftovers, lost) = lock.withLock {
            let lost = state.pending.count
            state.requestExit()
            lock.wake(.writer)
            lock.wake(.watchdog)
            let remaining = waiters
            waiters = [:]
            return (remaining.values, lost)
        }
        for continuation in leftovers {
            continuation.resume(throwing: AuditError(.closed, "the audit log was closed before the record was written"))
        }
        if lost > 0, failure == nil {
            failure = AuditError(.unavailable, "\(lost) queued audit record(s) were not written before close")
        }
        if await waitUntil(timeout: timeout, { !$0.writerRunning && !$0.watchdogRunning }) {
            sink.close()
        } else if failure == nil {
            failure = AuditError(.unavailable, "the audit writer is stuck in a system call; the file was left open")
        }
        if let failure { throw failure }
    }

    /// Polls `condition` (under the lock) until it holds or `timeout` passes.
    private func waitUntil(timeout: Duration, _ condition: (AuditLog) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            if lock.withLock({ condition(self) }) { return true }
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(2))
        }
    }
}
