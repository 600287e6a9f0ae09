// A checkpoint: the audit key's signature over "the chain up to seq S ends in hash H" at a time.
// The signed message layout is part of the file format (docs/AUDIT.md, "Checkpoints") so any
// verifier can rebuild it from the record's fields.

/// A signed statement that the chain up to record ``coveredSeq`` ends in ``coveredHash``.
public struct AuditCheckpoint: Hashable, Sendable {
    /// Sequence number of the last record covered.
    public var coveredSeq: UInt64
    /// Chain hash of that record.
    public var coveredHash: [UInt8]
    /// When the checkpoint was made; part of the signed message.
    public var time: AuditTimestamp
    /// The audit key's signature over ``signedMessage``.
    public var signature: [UInt8]
    public var keyName: String
    public var keyVersion: UInt32

    public init(coveredSeq: UInt64, coveredHash: [UInt8], time: AuditTimestamp, signature: [UInt8],
                keyName: String, keyVersion: UInt32) {
        self.coveredSeq = coveredSeq
        self.coveredHash = coveredHash
        self.time = time
        self.signature = signature
        self.keyName = keyName
        self.keyVersion = keyVersion
    }

    /// The bytes the audit key signs (docs/AUDIT.md, "Checkpoints").
    public var signedMessage: [UInt8] {
        AuditCheckpoint.signedMessage(coveredSeq: coveredSeq, coveredHash: coveredHash, time: time)
    }

    /// Domain separator that starts every signed checkpoint message.
    public static let messagePrefix: [UInt8] = Array("PersonaHSM audit checkpoint v1".utf8) + [0]

    /// `prefix ‖ u64be(coveredSeq) ‖ coveredHash (32 bytes) ‖ i64be(unix millis)`.
    public static func signedMessage(coveredSeq: UInt64, coveredHash: [UInt8], time: AuditTimestamp) -> [UInt8] {
        var out = messagePrefix
        out.reserveCapacity(messagePrefix.count + 48)
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: coveredSeq >> UInt64(shift))) }
        out += coveredHash
        let millis = UInt64(bitPattern: time.unixMillis)
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: millis >> UInt64(shift))) }
        return out
    }
}
