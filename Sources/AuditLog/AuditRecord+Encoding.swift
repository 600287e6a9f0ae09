// The on-disk form of a record and its chain hash. A line is the JCS (RFC 8785) serialization of
// the record object followed by "\n"; the canonical bytes that are hashed are the JCS
// serialization of the same object without its "hash" member. Both come from one encoder pass:
// it writes the canonical bytes and remembers where "hash" sorts in, so the line is the canonical
// bytes with `"hash":"…",` spliced in at that index.

import SoftCrypto

extension AuditRecord {
    /// Largest sequence number a record may carry (JCS integers must be exact in an IEEE double).
    public static let maxSeq: UInt64 = (1 << 53) - 1

    /// The canonical bytes of a record without its hash, and the index where `"hash"` sorts in.
    static func canonicalBytes(seq: UInt64, time: AuditTimestamp, body: AuditRecordBody,
                               prev: [UInt8]) -> (bytes: [UInt8], hashIndex: Int) {
        var json = CanonicalJSONWriter()
        var hashIndex = 0
        json.beginObject()
        switch body {
        case .call(let event):
            if !event.extra.isEmpty { json.member("extra", object: event.extra) }
            hashIndex = json.nextMemberIndex
            json.member("identity", event.identity)
            json.member("key", event.keyName)
            json.member("message", event.message)
            json.member("method", event.method)
            json.member("outcome", event.outcome)
            json.member("prev", hex: prev)
            json.member("request_sha256", hex: event.requestSHA256)
            json.member("seq", seq)
            json.member("time", time)
            json.member("type", body.typeName)
            json.member("version", UInt64(event.keyVersion))
        case .checkpoint(let checkpoint):
            json.member("covers_hash", hex: checkpoint.coveredHash)
            json.member("covers_seq", checkpoint.coveredSeq)
            hashIndex = json.nextMemberIndex
            json.member("key", checkpoint.keyName)
            json.member("prev", hex: prev)
            json.member("seq", seq)
            json.member("signature", hex: checkpoint.signature)
            json.member("time", time)
            json.member("type", body.typeName)
            json.member("version", UInt64(checkpoint.keyVersion))
        case .recovery(let message, let details):
            if !details.isEmpty { json.member("extra", object: details) }
            hashIndex = json.nextMemberIndex
            json.member("message", message)
            json.member("prev", hex: prev)
            json.member("seq", seq)
            json.member("time", time)
            json.member("type", body.typeName)
        }
        json.endObject()
        return (json.bytes, hashIndex)
    }

    /// `SHA-256(prev ‖ canonical)`.
    static func chainHash(prev: [UInt8], canonical: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(prev)
        hasher.update(canonical)
        return hasher.finalize()
    }

    /// The full line (with `"hash"` and the trailing newline) from canonical bytes.
    static func line(canonical: [UInt8], hashIndex: Int, hash: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(canonical.count + 80)
        out += canonical[..<hashIndex]
        out += Array("\"hash\":\"".utf8)
        CanonicalJSONWriter.appendHex(hash, to: &out)
        out += [UInt8(ascii: "\""), UInt8(ascii: ",")]
        out += canonical[hashIndex...]
        out.append(UInt8(ascii: "\n"))
        return out
    }

    /// Seals a new record onto the chain: computes its hash and its line.
    static func seal(seq: UInt64, time: AuditTimestamp, body: AuditRecordBody,
                     prev: [UInt8]) -> (record: AuditRecord, line: [UInt8]) {
        let canonical = canonicalBytes(seq: seq, time: time, body: body, prev: prev)
        let hash = chainHash(prev: prev, canonical: canonical.bytes)
        let record = AuditRecord(seq: seq, time: time, body: body, prev: prev, hash: hash)
        return (record, line(canonical: canonical.bytes, hashIndex: canonical.hashIndex, hash: hash))
    }

    /// The canonical bytes this record's hash covers.
    public var canonicalBytes: [UInt8] {
        AuditRecord.canonicalBytes(seq: seq, time: time, body: body, prev: prev).bytes
    }

    /// The hash this record should carry, recomputed from its fields.
    public var expectedHash: [UInt8] {
        AuditRecord.chainHash(prev: prev, canonical: canonicalBytes)
    }

    /// The exact line (including `"\n"`) that represents this record in a log.
    public var line: [UInt8] {
        let canonical = AuditRecord.canonicalBytes(seq: seq, time: time, body: body, prev: prev)
        return AuditRecord.line(canonical: canonical.bytes, hashIndex: canonical.hashIndex, hash: hash)
    }
}
