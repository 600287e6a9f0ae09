// The snapshot an open log reports about itself: what /readyz (healthy or failing closed) and
// /metrics (batches, failures, timeouts, drops) read.

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
