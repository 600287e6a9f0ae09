// The result of `audit verify`, built for two readers: the CLI prints `description` for a human,
// and tests and tooling read the fields (first broken record, torn tail, last checkpoint).

/// The outcome of verifying one log.
public struct AuditVerificationReport: Hashable, Sendable, CustomStringConvertible {
    /// The first record that breaks the chain.
    public struct BrokenRecord: Hashable, Sendable {
        /// The record's seq if it could be read, else the seq expected there.
        public var seq: UInt64
        /// 1-based line number.
        public var line: Int
        /// Byte offset of the line.
        public var offset: UInt64
        public var reason: String
    }

    /// A final line without newline: a write cut short by a crash, never acknowledged.
    public struct TornTail: Hashable, Sendable {
        public var line: Int
        public var offset: UInt64
        public var byteCount: Int
    }

    /// The last checkpoint that verified.
    public struct Checkpoint: Hashable, Sendable {
        /// Seq of the checkpoint record itself.
        public var seq: UInt64
        public var coveredSeq: UInt64
        public var keyName: String
        public var keyVersion: UInt32
        public var time: AuditTimestamp
    }

    public var path: String
    /// Whether checkpoint signatures were checked (a verifier was given).
    public var signaturesChecked: Bool
    /// Records that verified (before the first broken one).
    public var validRecords = 0
    public var callRecords = 0
    public var checkpointRecords = 0
    public var recoveryRecords = 0
    /// The last record that verified (0 and 32 zero bytes if none).
    public var lastSeq: UInt64 = 0
    public var lastHash: [UInt8] = AuditRecord.genesisHash
    public var lastCheckpoint: Checkpoint?
    public var firstBroken: BrokenRecord?
    public var tornTail: TornTail?

    /// `true` when every complete record verified. A torn tail does not make a log invalid.
    public var isValid: Bool { firstBroken == nil }

    /// Highest seq any verified checkpoint covers (0: none).
    public private(set) var coveredSeq: UInt64 = 0
    /// Seqs of checkpoint records above `coveredSeq` (they need no signature of their own).
    private var checkpointsAboveCover: [UInt64] = []

    /// Call and recovery records that no checkpoint covers yet: protected by the chain only.
    public var unsignedRecords: UInt64 { lastSeq - coveredSeq - UInt64(checkpointsAboveCover.count) }

    init(path: String, signaturesChecked: Bool) {
        self.path = path
        self.signaturesChecked = signaturesChecked
    }

    mutating func count(_ record: AuditRecord) {
        validRecords += 1
        lastSeq = record.seq
        lastHash = record.hash
        switch record.body {
        case .call: callRecords += 1
        case .recovery: recoveryRecords += 1
        case .checkpoint(let checkpoint):
            checkpointRecords += 1
            lastCheckpoint = Checkpoint(seq: record.seq, coveredSeq: checkpoint.coveredSeq, keyName: checkpoint.keyName,
                                        keyVersion: checkpoint.keyVersion, time: checkpoint.time)
            coveredSeq = max(coveredSeq, checkpoint.coveredSeq)
            checkpointsAboveCover.append(record.seq)
            checkpointsAboveCover.removeAll { $0 <= coveredSeq }
        }
    }

    public var description: String {
        var lines: [String] = []
        lines.append("audit log \(path): \(isValid ? "OK" : "BROKEN")")
        lines.append("  records verified: \(validRecords) (calls \(callRecords), checkpoints \(checkpointRecords), "
            + "recoveries \(recoveryRecords)); last seq \(lastSeq)")
        if let firstBroken {
            lines.append("  first broken record: line \(firstBroken.line), seq \(firstBroken.seq), "
                + "offset \(firstBroken.offset): \(firstBroken.reason)")
        }
        if let lastCheckpoint {
            lines.append("  last checkpoint: seq \(lastCheckpoint.seq) covering seq \(lastCheckpoint.coveredSeq), key "
                + "\(lastCheckpoint.keyName) v\(lastCheckpoint.keyVersion), \(lastCheckpoint.time)"
                + (signaturesChecked ? ", signature valid" : ", signature NOT checked"))
        } else {
            lines.append("  no checkpoint")
        }
        lines.append("  records no checkpoint covers yet (chain only): \(unsignedRecords)")
        if let tornTail {
            lines.append("  torn tail: line \(tornTail.line), offset \(tornTail.offset), \(tornTail.byteCount) bytes "
                + "(an unfinished write from a crash; never acknowledged; removed when the log is next opened)")
        }
        return lines.joined(separator: "\n")
    }
}
