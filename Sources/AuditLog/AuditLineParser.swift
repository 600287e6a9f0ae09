// Reads one log line back into an `AuditRecord`. It is a small strict JSON reader for what records
// contain (objects, strings, integers) with a precise reason for every rejection, because the
// verifier must say exactly why a record is broken. It is deliberately not the judge of canonical
// form: the chain validator re-encodes the parsed record and compares bytes.

import SoftCrypto

/// Parses log lines.
enum AuditLineParser {
    /// A JSON value as far as audit records need it.
    indirect enum Value {
        case string(String)
        case integer(UInt64)
        case object([(key: String, value: Value)])
        case other(String)
    }

    /// Parses a line (without its newline) into a record.
    static func parse(_ line: ArraySlice<UInt8>) throws(AuditError) -> AuditRecord {
        var reader = JSONReader(bytes: line)
        let value = try reader.readDocument()
        guard case .object(let members) = value else { throw corrupt("a record must be a JSON object") }
        var fields: [String: Value] = [:]
        for member in members {
            guard fields.updateValue(member.value, forKey: member.key) == nil else {
                throw corrupt("duplicate field \"\(member.key)\"")
            }
        }
        var record = RecordFields(fields: fields)
        let type = try record.string("type")
        let seq = try record.integer("seq")
        guard let time = AuditTimestamp(rfc3339: Array(try record.string("time").utf8)) else {
            throw corrupt("field \"time\" is not an RFC 3339 UTC time with milliseconds")
        }
        let prev = try record.hex("prev", count: 32)
        let hash = try record.hex("hash", count: 32)
        let body: AuditRecordBody
        switch type {
        case "call":
            var event = AuditEvent(identity: try record.string("identity"), method: try record.string("method"),
                                   outcome: try record.string("outcome"))
            event.keyName = try record.string("key")
            event.keyVersion = try record.version()
            event.requestSHA256 = try record.hexOrEmpty("request_sha256", count: 32)
            event.message = try record.string("message")
            event.extra = try record.stringObject("extra")
            body = .call(event)
        case "checkpoint":
            body = .checkpoint(AuditCheckpoint(
                coveredSeq: try record.integer("covers_seq"), coveredHash: try record.hex("covers_hash", count: 32),
                time: time, signature: try record.hex("signature", count: nil), keyName: try record.string("key"),
                keyVersion: try record.version()))
        case "recovery":
            body = .recovery(message: try record.string("message"), details: try record.stringObject("extra"))
        default:
            throw corrupt("unknown record type \"\(type)\"")
        }
        if let unexpected = record.unread.sorted().first { throw corrupt("unexpected field \"\(unexpected)\"") }
        return AuditRecord(seq: seq, time: time, body: body, prev: prev, hash: hash)
    }

    static func corrupt(_ reason: String) -> AuditError { AuditError(.corrupt, reason) }

    /// Typed access to a record's members; remembers which were read so leftovers can be refused.
    private struct RecordFields {
        var fields: [String: Value]
        var unread: Set<String>

        init(fields: [String: Value]) {
            self.fields = fields
            self.unread = Set(fields.keys)
        }

        mutating func take(_ key: String) throws(AuditError) -> Value {
            guard let value = fields[key] else { throw corrupt("missing field \"\(key)\"") }
            unread.remove(key)
            return value
        }

        mutating func string(_ key: String) throws(AuditError) -> String {
            guard case .string(let text) = try take(key) else { throw corrupt("field \"\(key)\" must be a string") }
            return text
        }

        mutating func integer(_ key: String) throws(AuditError) -> UInt64 {
            guard case .integer(let number) = try take(key) else {
                throw corrupt("field \"\(key)\" must be an integer from 0 to 2^53-1")
            }
            return number
        }

        mutating func version() throws(AuditError) -> UInt32 {
            let number = try integer("version")
            guard let version = UInt32(exactly: number) else { throw corrupt("field \"version\" is out of range") }
            return version
        }

        mutating func hex(_ key: String, count: Int?) throws(AuditError) -> [UInt8] {
            let text = try string(key)
            guard text == text.lowercased(), let bytes = [UInt8](hexString: text),
                  count == nil || bytes.count == count else {
                throw corrupt("field \"\(key)\" must be \(count.map { "\($0 * 2)" } ?? "an even number of") lower-case hex digits")
            }
            return bytes
        }

        mutating func hexOrEmpty(_ key: String, count: Int) throws(AuditError) -> [UInt8] {
            if case .string(let text)? = fields[key], text.isEmpty { unread.remove(key); return [] }
            return try hex(key, count: count)
        }

        /// An optional object of strings; absent means empty.
        mutating func stringObject(_ key: String) throws(AuditError) -> [String: String] {
            guard fields[key] != nil else { return [:] }
            guard case .object(let members) = try take(key) else { throw corrupt("field \"\(key)\" must be an object") }
            var result: [String: String] = [:]
            for member in members {
                guard case .string(let text) = member.value else {
                    throw corrupt("\"\(key)\".\"\(member.key)\" must be a string")
                }
                guard result.updateValue(text, forKey: member.key) == nil else {
                    throw corrupt("duplicate field \"\(key)\".\"\(member.key)\"")
                }
            }
            return result
        }
    }
}
