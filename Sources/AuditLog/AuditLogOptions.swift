// Configuration of an open log, and the status snapshot it reports. Configuration is data passed
// in once (docs/STYLE.md); the status snapshot is what /readyz and /metrics read.

/// How an ``AuditLog`` behaves.
public struct AuditLogOptions: Sendable {
    /// Signs checkpoints; `nil` writes no checkpoints (tests, or a log verified by chain only).
    public var signer: (any CheckpointSigner)?
    /// A checkpoint is signed after this many records (0: only at close and on request).
    public var checkpointInterval: UInt64
    /// The longest an append waits for durability before it fails closed.
    public var durabilityTimeout: Duration
    /// While failed, how often the writer retries by itself.
    public var retryInterval: Duration
    /// Most records in one write + fdatasync; 1 turns group commit off (the benchmark baseline).
    public var maxBatchRecords: Int
    /// Most queued records; beyond it awaited appends fail and fire-and-forget ones are dropped
    /// (and counted in the next recovery record).
    public var maxPendingRecords: Int
    /// Wraps the file sink the log opens, e.g. to inject faults in tests.
    public var wrapSink: (@Sendable (any FileSink) -> any FileSink)?

    public init(signer: (any CheckpointSigner)? = nil, checkpointInterval: UInt64 = 10_000,
                durabilityTimeout: Duration = .seconds(1), retryInterval: Duration = .milliseconds(200),
                maxBatchRecords: Int = 4096, maxPendingRecords: Int = 100_000,
                wrapSink: (@Sendable (any FileSink) -> any FileSink)? = nil) {
        self.signer = signer
        self.checkpointInterval = checkpointInterval
        self.durabilityTimeout = durabilityTimeout
        self.retryInterval = retryInterval
        self.maxBatchRecords = max(1, maxBatchRecords)
        self.maxPendingRecords = max(1, maxPendingRecords)
        self.wrapSink = wrapSink
    }
}

/// A snapshot of a log's health and progress.
public struct AuditLogStatus: Sendable {
    /// Monotonic counters since open.
    public struct Counters: Hashable, Sendable {
        public var batches: UInt64 = 0
        public var records: UInt64 = 0
        public var failedWrites: UInt64 = 0
        public var timedOutAppends: UInt64 = 0
        /// Fire-and-forget records lost (backlog full).
        public var droppedRecords: UInt64 = 0
        /// Awaited records that became durable after their caller had timed out.
        public var durableAfterTimeout: UInt64 = 0
        public var checkpointFailures: UInt64 = 0
    }

    /// `false` while appends fail closed.
    public var isHealthy: Bool
    /// Why the log last failed (also set after it recovered).
    public var lastFailure: AuditError?
    /// The last durable record.
    public var lastSeq: UInt64
    public var lastHash: [UInt8]
    /// Seq of the last checkpoint record written (0: none).
    public var lastCheckpointSeq: UInt64
    /// Records queued and not yet durable.
    public var pendingRecords: Int
    public var counters: Counters
}
