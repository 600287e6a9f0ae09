// What the log stores. An `AuditEvent` is what a caller reports about one RPC; the log turns it
// into an `AuditRecord` by giving it a sequence number, a time and its place in the hash chain.
// Checkpoint and recovery records are records too, so one chain covers everything in the file.

import SoftCrypto

/// One RPC, allowed or denied, as the service reports it.
public struct AuditEvent: Hashable, Sendable {
    /// The authenticated caller (SAN URI / CN), or `""` when authentication failed.
    public var identity: String
    /// Full method name, e.g. `/persona.hsm.v1.SigningService/Sign`.
    public var method: String
    /// The key the call named, `""` when none.
    public var keyName: String
    /// The key version used, `0` when none.
    public var keyVersion: UInt32
    /// SHA-256 of the serialized request: 32 bytes, or empty when there is none.
    public var requestSHA256: [UInt8]
    /// The status code name of the call's outcome, e.g. `OK`, `PERMISSION_DENIED`.
    public var outcome: String
    /// The status message (empty on success).
    public var message: String
    /// Further context, e.g. `signature_sha256` (so a returned signature can be matched to its
    /// record), `trace_id`, `idempotency_key`.
    public var extra: [String: String]

    public init(identity: String, method: String, keyName: String = "", keyVersion: UInt32 = 0,
                requestSHA256: [UInt8] = [], outcome: String, message: String = "", extra: [String: String] = [:]) {
        self.identity = identity
        self.method = method
        self.keyName = keyName
        self.keyVersion = keyVersion
        self.requestSHA256 = requestSHA256
        self.outcome = outcome
        self.message = message
        self.extra = extra
    }
}

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
