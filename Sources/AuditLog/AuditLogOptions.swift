// Configuration of an open log: data passed in once (docs/STYLE.md), with defaults that meet the
// service's fail-closed bound (1 s) and keep group commit on.

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
