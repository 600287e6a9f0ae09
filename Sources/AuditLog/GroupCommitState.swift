// The group-commit logic as a value type that returns what to do next. The writer thread, the
// watchdog thread and appending tasks all call into it under one lock and act on its answers
// (write this batch, sleep until then, resume these waiters); it performs no I/O and owns no
// threads, so every rule — batching, fail-closed deadlines, retry and recovery, checkpoint
// scheduling — is unit-tested without a file or a clock.

/// Pending records, waiters' deadlines, chain head and health of one log.
struct GroupCommitState {
    typealias Instant = ContinuousClock.Instant

    struct Configuration {
        var timeout: Duration
        var retryInterval: Duration
        var maxBatchRecords: Int
        var maxPendingRecords: Int
        /// 0 disables periodic checkpoints.
        var checkpointInterval: UInt64
        var hasSigner: Bool
    }

    /// A record waiting to be written; `ticket` is nil for fire-and-forget records.
    struct Item {
        var body: AuditRecordBody
        var time: AuditTimestamp
        var ticket: UInt64?
    }

    /// The last durable record and the file size after it.
    struct ChainHead: Hashable {
        var seq: UInt64
        var hash: [UInt8]
        var offset: UInt64
    }

    /// One write + fdatasync for the writer to perform outside the lock.
    struct WriteJob {
        var items: [Item]
        /// A recovery record to write first, if the log is coming back from a failure.
        var recovery: RecoveryNote?
        /// Cut the file back to `start.offset` first (a failed write may have left bytes).
        var truncate: Bool
        var start: ChainHead
    }

    enum WriterStep {
        case write(WriteJob)
        case sleep(until: Instant?)
        case exit
    }

    enum EnqueueOutcome {
        case accepted(ticket: UInt64?, wakeWriter: Bool, wakeWatchdog: Bool)
        case rejected(AuditError)
    }

    /// A waiter to resume, and with what.
    struct Completion {
        var ticket: UInt64
        var result: Result<AuditReceipt, AuditError>
    }

    let configuration: Configuration
    var pending: [Item] = []
    /// Awaited appends not yet answered (pending or in flight), with their deadlines.
    var deadlines: [UInt64: Instant] = [:]
    var nextTicket: UInt64 = 1
    var head: ChainHead
    var lastFailure: AuditError?
    /// Set while failed: when the failure began.
    var failedSince: Instant?
    var nextRetry: Instant?
    var retryRequested = false
    var needsTruncate = false
    var recoveryNote: RecoveryNote?
    /// When the writer started the job it is performing, nil when idle.
    var writerBusySince: Instant?
    var isAccepting = true
    var exitRequested = false
    var counters = AuditLogStatus.Counters()
    /// Seq of the last checkpoint record written (0: none yet).
    var lastCheckpointSeq: UInt64 = 0
    var checkpointInFlight = false
    var checkpointRetryAt: Instant?

    init(configuration: Configuration, head: ChainHead, lastCheckpointSeq: UInt64, recoveryNote: RecoveryNote?) {
        self.configuration = configuration
        self.head = head
        self.lastCheckpointSeq = lastCheckpointSeq
        self.recoveryNote = recoveryNote
    }

    var isHealthy: Bool { failedSince == nil }
    var isIdle: Bool { pending.isEmpty && writerBusySince == nil && recoveryNote == nil }

    /// Queues a record. `awaited` records get a ticket and a deadline; `duringClose` records
    /// (checkpoints at close) are accepted after ``stopAccepting()``.
    mutating func enqueue(_ body: AuditRecordBody, time: AuditTimestamp, awaited: Bool, duringClose: Bool = false,
                          now: Instant) -> EnqueueOutcome {
        guard !exitRequested, isAccepting || duringClose else { return .rejected(AuditError(.closed, "the audit log is closed")) }
        if awaited, let busySince = writerBusySince, busySince.duration(to: now) >= configuration.timeout {
            return .rejected(.unavailable("the audit log writer has been stalled for more than "
                + "\(configuration.timeout); failing closed", cause: lastFailure))
        }
        guard pending.count < configuration.maxPendingRecords else {
            if awaited { return .rejected(.unavailable("the audit log backlog is full; failing closed", cause: lastFailure)) }
            noteDrop(count: 1, reason: "backlog full")
            return .accepted(ticket: nil, wakeWriter: false, wakeWatchdog: false)
        }
        var ticket: UInt64?
        var wakeWatchdog = false
        if awaited {
            ticket = nextTicket
            nextTicket += 1
            wakeWatchdog = deadlines.isEmpty
            deadlines[ticket!] = now.advanced(by: configuration.timeout)
            if !isHealthy { retryRequested = true }
        }
        pending.append(Item(body: body, time: time, ticket: ticket))
        let wakeWriter = writerBusySince == nil && (isHealthy || retryRequested)
        return .accepted(ticket: ticket, wakeWriter: wakeWriter, wakeWatchdog: wakeWatchdog)
    }

    /// New appends are refused from now on (closing); internal ones still pass.
    mutating func stopAccepting() { isAccepting = false }

    /// The writer thread ends after its current job.
    mutating func requestExit() { exitRequested = true }

    /// What the writer should do now. A returned job marks the writer busy until ``finish``.
    mutating func nextStep(now: Instant) -> WriterStep {
        if exitRequested { return .exit }
        if !isHealthy {
            let due = nextRetry.map { $0 <= now } ?? true
            guard retryRequested || due else { return .sleep(until: nextRetry) }
            if recoveryNote == nil { recoveryNote = RecoveryNote() }
        } else if pending.isEmpty && recoveryNote == nil {
            return .sleep(until: nil)
        }
        let count = min(pending.count, configuration.maxBatchRecords)
        let job = WriteJob(items: Array(pending.prefix(count)), recovery: recoveryNote, truncate: needsTruncate,
                           start: head)
        pending.removeFirst(count)
        recoveryNote = nil
        retryRequested = false
        writerBusySince = now
        return .write(job)
    }
}
