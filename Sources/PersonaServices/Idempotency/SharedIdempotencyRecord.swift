// One instance's first result for an idempotency key, as other instances read it back, and the
// byte layout of a group of them (one shared-state object per flush). Big-endian lengths; a
// malformed group is dropped whole rather than half-read.

import Foundation

/// A remembered first result.
public struct SharedIdempotencyRecord: Sendable, Hashable {
    /// The scoped key (caller identity, key name, client's idempotency key).
    public var key: String
    /// SHA-256 of the request the result answers.
    public var digest: [UInt8]
    /// The serialized response.
    public var response: [UInt8]
    /// Seconds since the epoch after which the record no longer counts.
    public var expires: Double

    public init(key: String, digest: [UInt8], response: [UInt8], expires: Double) {
        self.key = key
        self.digest = digest
        self.response = response
        self.expires = expires
    }

    /// Layout of a group: count (u32), then per record key length (u16), key, digest length (u8),
    /// digest, expiry in milliseconds (u64), response length (u32), response.
    public static func encode(_ records: [SharedIdempotencyRecord]) -> [UInt8] {
        var out: [UInt8] = []
        func put(_ value: UInt64, _ width: Int) {
            for shift in stride(from: (width - 1) * 8, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
        }
        put(UInt64(records.count), 4)
        for record in records {
            let key = Array(record.key.utf8.prefix(Int(UInt16.max)))
            put(UInt64(key.count), 2)
            out += key
            put(UInt64(record.digest.count), 1)
            out += record.digest.prefix(255)
            put(UInt64(max(0, record.expires * 1000)), 8)
            put(UInt64(record.response.count), 4)
            out += record.response
        }
        return out
    }

    /// The records of a group, or nil when the bytes are not one.
    public static func decode(_ bytes: [UInt8]) -> [SharedIdempotencyRecord]? {
        var offset = 0
        func take(_ count: Int) -> ArraySlice<UInt8>? {
            guard count >= 0, bytes.count - offset >= count else { return nil }
            defer { offset += count }
            return bytes[offset..<offset + count]
        }
        func number(_ width: Int) -> Int? {
            take(width).map { Int($0.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }) }
        }
        guard let count = number(4) else { return nil }
        var records: [SharedIdempotencyRecord] = []
        for _ in 0..<count {
            guard let keyLength = number(2), let key = take(keyLength), let digestLength = number(1),
                  let digest = take(digestLength), let millis = number(8), let responseLength = number(4),
                  let response = take(responseLength) else { return nil }
            records.append(SharedIdempotencyRecord(key: String(decoding: key, as: UTF8.self), digest: Array(digest),
                                                   response: Array(response), expires: Double(millis) / 1000))
        }
        return offset == bytes.count ? records : nil
    }
}
