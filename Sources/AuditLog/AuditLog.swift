// The audit log a server appends to: every call, allowed or denied, becomes one hash-chained
// JSON line, and an awaited append returns only once its line is on disk (fdatasync). Appending
// tasks hand records to one writer thread that commits whatever has queued up in a single write
// and fdatasync (group commit), so durability costs one disk flush per batch, not per record.
// If the disk fails or hangs, appends fail closed within the configured timeout and the log
// heals itself in the background. Format and guarantees: docs/AUDIT.md.

/// An open, append-only, hash-chained audit log.
///
/// Open it with ``open(path:options:)``, append with ``append(_:)`` (awaits durability) or
/// ``appendDetached(_:)`` (fire and forget, for calls that return nothing secret), and always
/// ``close()`` it: closing writes the final checkpoint and stops the writer threads (a log that
/// is never closed keeps its two threads, and itself, alive).
public final class AuditLog: @unchecked Sendable {
    // Everything below `lock` is guarded by it; the sink is used only by the writer thread
    // (and by `open` before the threads start, and by `close` after they stopped).
    let lock = ConditionLock()
    var state: GroupCommitState
    var waiters: [UInt64: CheckedContinuation<AuditReceipt, any Error>] = [:]
    var writerRunning = false
    var watchdogRunning = false
    let sink: any FileSink
    let options: AuditLogOptions

    init(sink: any FileSink, options: AuditLogOptions, head: GroupCommitState.ChainHead, lastCheckpointSeq: UInt64,
         recoveryNote: RecoveryNote?) {
        self.sink = sink
        self.options = options
        let configuration = GroupCommitState.Configuration(
            timeout: options.durabilityTimeout, retryInterval: options.retryInterval,
            maxBatchRecords: options.maxBatchRecords, maxPendingRecords: options.maxPendingRecords,
            checkpointInterval: options.checkpointInterval, hasSigner: options.signer != nil)
        state = GroupCommitState(configuration: configuration, head: head, lastCheckpointSeq: lastCheckpointSeq,
                                 recoveryNote: recoveryNote)
    }

    /// The path of the log file.
    public var path: String { sink.path }

    /// Appends a record and returns once it is durable.
    ///
    /// Use this for every call whose result leaves the server (signatures, exported material):
    /// release the result only after this returns.
    /// - Returns: the record's sequence number and chain hash.
    /// - Throws: ``AuditError`` — ``AuditError/Code/unavailable`` when the record could not be made
    ///   durable within ``AuditLogOptions/durabilityTimeout`` (disk full, I/O error, stalled
    ///   disk: fail the call closed), ``AuditError/Code/closed`` after ``close()``,
    ///   ``AuditError/Code/invalidArgument`` for an event the log cannot represent.
    public func append(_ event: AuditEvent) async throws -> AuditReceipt {
        try event.validate()
        return try await enqueueAwaited(.call(event), time: .now(), duringClose: false)
    }

    /// Queues a record without waiting: it becomes durable with the next batch. Meant for calls
    /// that return nothing that needs the record first (denials, failures, reads).
    /// - Returns: `false` if the log refused it (closed, invalid event); a record dropped because
    ///   the backlog is full still returns `true` and is counted in the next recovery record.
    @discardableResult
    public func appendDetached(_ event: AuditEvent) -> Bool {
        guard (try? event.validate()) != nil else { return false }
        return lock.withLock {
            switch state.enqueue(.call(event), time: .now(), awaited: false, now: .now) {
            case .rejected: return false
            case .accepted(_, let wakeWriter, _):
                if wakeWriter { lock.wake(.writer) }
                return true
            }
        }
    }

    /// A snapshot of health and progress (for readiness probes and metrics).
    public func status() -> AuditLogStatus {
        lock.withLock {
            AuditLogStatus(isHealthy: state.isHealthy, lastFailure: state.lastFailure, lastSeq: state.head.seq,
                           lastHash: state.head.hash, lastCheckpointSeq: state.lastCheckpointSeq,
                           pendingRecords: state.pending.count, counters: state.counters)
        }
    }

    /// Queues a record and suspends until the writer or the watchdog answers its ticket.
    func enqueueAwaited(_ body: AuditRecordBody, time: AuditTimestamp, duringClose: Bool) async throws -> AuditReceipt {
        try await withCheckedThrowingContinuation { continuation in
            lock.lock()
            switch state.enqueue(body, time: time, awaited: true, duringClose: duringClose, now: .now) {
            case .rejected(let error):
                lock.unlock()
                continuation.resume(throwing: error)
            case .accepted(let ticket, let wakeWriter, let wakeWatchdog):
                waiters[ticket!] = continuation
                if wakeWriter { lock.wake(.writer) }
                if wakeWatchdog { lock.wake(.watchdog) }
                lock.unlock()
            }
        }
    }

    /// Removes the continuations of `completions` (call with the lock held).
    func takeContinuations(_ completions: [GroupCommitState.Completion])
        -> [(CheckedContinuation<AuditReceipt, any Error>, Result<AuditReceipt, AuditError>)] {
        completions.compactMap { completion in
            waiters.removeValue(forKey: completion.ticket).map { ($0, completion.result) }
        }
    }

    /// Resumes waiters (call without the lock).
    func resume(_ resumptions: [(CheckedContinuation<AuditReceipt, any Error>, Result<AuditReceipt, AuditError>)]) {
        for (continuation, result) in resumptions {
            continuation.resume(with: result.mapError { $0 as any Error })
        }
    }
}
