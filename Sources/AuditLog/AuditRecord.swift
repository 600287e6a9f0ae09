// What the log stores. An `AuditEvent` is what a caller reports about one RPC; the log turns it
// into an `AuditRecord` by giving it a sequence number, a time and its place in the hash chain.
// Checkpoint and recovery records are records too, so one chain covers everything in the file.
// The receipt is what an append hands back: the proof of where its record sits.

import SoftCrypto

/// What a record says, by record type.
public enum AuditRecordBody: Hashable, Sendable {
    /// An RPC (`"type":"call"`).
    case call(AuditEvent)
    /// A signed checkpoint (`"type":"checkpoint"`).
    case checkpoint(AuditCheckpoint)
    /// The log itself noting a repair: a torn tail removed at open, writes that failed or stalled
    /// (`"type":"recovery"`).
    case recovery(message: String, details: [String: String])

    /// The `type` field.
    public var typeName: String {
        switch self {
        case .call: "call"
        case .checkpoint: "checkpoint"
        case .recovery: "recovery"
        }
    }
}

/// One line of the log.
public struct AuditRecord: Hashable, Sendable {
    /// 1 for the first record of a log, then +1 per record.
    public var seq: UInt64
    public var time: AuditTimestamp
    public var body: AuditRecordBody
    /// Chain hash of the previous record (32 zero bytes before the first).
    public var prev: [UInt8]
    /// `SHA-256(prev ‖ canonical bytes of this record without "hash")`.
    public var hash: [UInt8]

    public init(seq: UInt64, time: AuditTimestamp, body: AuditRecordBody, prev: [UInt8], hash: [UInt8]) {
        self.seq = seq
        self.time = time
        self.body = body
        self.prev = prev
        self.hash = hash
    }

    /// The chain hash that comes before the first record.
    public static let genesisHash = [UInt8](repeating: 0, count: 32)
}

/// Proof that an appended record is durable.
public struct AuditReceipt: Hashable, Sendable, CustomStringConvertible {
    /// The record's sequence number.
    public var seq: UInt64
    /// The record's chain hash.
    public var hash: [UInt8]

    public init(seq: UInt64, hash: [UInt8]) {
        self.seq = seq
        self.hash = hash
    }

    public var description: String { "\(seq) \(hash.hexString)" }
}
