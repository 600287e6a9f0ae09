// The byte format everything else rests on: JCS escaping, member order, where "hash" goes, what
// the hash covers, RFC 3339 times, and a parser that reads back exactly what was written and
// refuses everything else with a reason.

import Testing
@testable import AuditLog
import SoftCrypto

@Suite struct CanonicalEncodingTests {
    @Test func stringsAreEscapedAsJCS() {
        var writer = CanonicalJSONWriter()
        writer.string("q\" b\\ s/ \u{8}\u{9}\u{a}\u{c}\u{d} \u{0}\u{1f}\u{7f} é 😀")
        #expect(LogFile.text(writer.bytes)
            == "\"q\\\" b\\\\ s/ \\b\\t\\n\\f\\r \\u0000\\u001f\u{7f} é 😀\"")
    }

    @Test func lineIsCanonicalObjectWithHashAndHashCoversTheRest() throws {
        var event = AuditEvent.sign(1)
        event.extra = ["z": "last", "a": "first"]
        let prev = SHA256.hash(Array("previous".utf8))
        let time = AuditTimestamp(unixMillis: 1_700_000_000_123)
        let sealed = AuditRecord.seal(seq: 7, time: time, body: .call(event), prev: prev)
        let line = LogFile.text(sealed.line)
        let expectedCanonical = "{\"extra\":{\"a\":\"first\",\"z\":\"last\"},"
            + "\"identity\":\"spiffe://persona.test/client-0\",\"key\":\"did-key-0\",\"message\":\"\","
            + "\"method\":\"/persona.hsm.v1.SigningService/Sign\",\"outcome\":\"OK\",\"prev\":\"\(prev.hexString)\","
            + "\"request_sha256\":\"\(event.requestSHA256.hexString)\",\"seq\":7,"
            + "\"time\":\"2023-11-14T22:13:20.123Z\",\"type\":\"call\",\"version\":2}"
        let expectedHash = SHA256.hash(prev + Array(expectedCanonical.utf8))
        #expect(sealed.record.hash == expectedHash)
        #expect(sealed.record.canonicalBytes == Array(expectedCanonical.utf8))
        let hashMember = "\"hash\":\"\(expectedHash.hexString)\","
        let splice = expectedCanonical.range(of: "\"identity\"")!.lowerBound
        var expectedLine = expectedCanonical
        expectedLine.insert(contentsOf: hashMember, at: splice)
        #expect(line == expectedLine + "\n")
    }

    @Test func everyRecordTypeRoundTrips() throws {
        let checkpoint = AuditCheckpoint(coveredSeq: 3, coveredHash: [UInt8](repeating: 0xAB, count: 32),
                                         time: AuditTimestamp(unixMillis: 1_000), signature: [1, 2, 3, 255],
                                         keyName: "audit", keyVersion: 4)
        let bodies: [AuditRecordBody] = [
            .call(.sign(9, client: 5, outcome: "PERMISSION_DENIED")),
            .call(AuditEvent(identity: "", method: "/x/Y", outcome: "UNAUTHENTICATED")),
            .checkpoint(checkpoint),
            .recovery(message: "log \"reopened\"\n", details: ["torn_tail_bytes": "12"]),
            .recovery(message: "", details: [:]),
        ]
        for (index, body) in bodies.enumerated() {
            let time = body == .checkpoint(checkpoint) ? checkpoint.time : AuditTimestamp(unixMillis: 1_234_567)
            let sealed = AuditRecord.seal(seq: UInt64(index + 4), time: time, body: body,
                                          prev: SHA256.hash([UInt8(index)]))
            let parsed = try AuditLineParser.parse(sealed.line.dropLast())
            #expect(parsed == sealed.record)
            #expect(parsed.line == sealed.line)
            #expect(sealed.line.filter { $0 == UInt8(ascii: "\n") }.count == 1)
        }
    }

    @Test func checkpointHashSortsAfterCoversFields() {
        let checkpoint = AuditCheckpoint(coveredSeq: 1, coveredHash: [UInt8](repeating: 1, count: 32),
                                         time: AuditTimestamp(unixMillis: 0), signature: [9], keyName: "k", keyVersion: 1)
        let line = LogFile.text(AuditRecord.seal(seq: 2, time: checkpoint.time, body: .checkpoint(checkpoint),
                                                 prev: [UInt8](repeating: 1, count: 32)).line)
        #expect(line.hasPrefix("{\"covers_hash\":\"0101"))
        #expect(line.contains("\"covers_seq\":1,\"hash\":\""))
        #expect(line.contains("\"seq\":2,\"signature\":\"09\",\"time\":\"1970-01-01T00:00:00.000Z\",\"type\":\"checkpoint\""))
    }

    @Test func checkpointMessageLayoutMatchesTheSpec() {
        let hash = (0..<32).map { UInt8($0) }
        let message = AuditCheckpoint.signedMessage(coveredSeq: 0x0102_0304_0506_0708, coveredHash: hash,
                                                    time: AuditTimestamp(unixMillis: 1_700_000_000_123))
        #expect(message.count == 79)
        #expect(LogFile.text(Array(message[0..<30])) == "PersonaHSM audit checkpoint v1" && message[30] == 0)
        #expect(Array(message[31..<39]) == [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(Array(message[39..<71]) == hash)
        #expect(Array(message[71..<79]) == [0, 0, 0x01, 0x8B, 0xCF, 0xE5, 0x68, 0x7B])
    }

    @Test func timestampsFormatAndParseExactly() {
        let cases: [(Int64, String)] = [
            (0, "1970-01-01T00:00:00.000Z"),
            (951_782_400_123, "2000-02-29T00:00:00.123Z"),
            (4_107_542_399_999, "2100-02-28T23:59:59.999Z"),
            (-1, "1969-12-31T23:59:59.999Z"),
            (253_402_300_799_000, "9999-12-31T23:59:59.000Z"),
        ]
        for (millis, text) in cases {
            #expect(AuditTimestamp(unixMillis: millis).description == text)
            #expect(AuditTimestamp(rfc3339: Array(text.utf8))?.unixMillis == millis)
        }
        for bad in ["2001-02-29T00:00:00.000Z", "2000-01-01T24:00:00.000Z", "2000-01-01T00:00:00Z",
                    "2000-01-01T00:00:00.000+00:00", "2000-13-01T00:00:00.000Z", "2000-01-01t00:00:00.000Z"] {
            #expect(AuditTimestamp(rfc3339: Array(bad.utf8)) == nil, "\(bad)")
        }
    }

    @Test func parserRefusesWithReasons() {
        let good = LogFile.text(Array(AuditRecord.seal(seq: 1, time: AuditTimestamp(unixMillis: 5), body: .call(.sign(1)),
                                                       prev: AuditRecord.genesisHash).line.dropLast()))
        let cases: [(String, String)] = [
            (good.replacingOccurrences(of: "\"seq\":1", with: "\"seq\":1,\"seq\":1"), "duplicate field \"seq\""),
            (good.replacingOccurrences(of: "\"seq\":1", with: "\"seq\":1,\"admin\":\"yes\""), "unexpected field \"admin\""),
            (good.replacingOccurrences(of: "\"outcome\":\"OK\",", with: ""), "missing field \"outcome\""),
            (good.replacingOccurrences(of: "\"seq\":1", with: "\"seq\":-1"), "field \"seq\" must be an integer"),
            (good.replacingOccurrences(of: "\"seq\":1", with: "\"seq\":01"), "leading zero"),
            (good.replacingOccurrences(of: "\"type\":\"call\"", with: "\"type\":\"shell\""), "unknown record type"),
            (good.replacingOccurrences(of: "\"version\":2", with: "\"version\":4294967296"), "out of range"),
            (good.uppercased(), "missing field"),
            (String(good.dropLast()), "unterminated object"),
            (good + "x", "unexpected bytes after the JSON object"),
            ("\"just a string\"", "must be a JSON object"),
        ]
        for (line, reason) in cases {
            #expect(throws: AuditError.self, "\(reason)") { try AuditLineParser.parse(Array(line.utf8)[...]) }
            do {
                _ = try AuditLineParser.parse(Array(line.utf8)[...])
            } catch {
                #expect(error.code == .corrupt)
                #expect(error.message.contains(reason), "\(error.message) should mention \(reason)")
            }
        }
    }

    @Test func eventsTheLogCannotRepresentAreRefused() {
        var event = AuditEvent.sign(1)
        event.requestSHA256 = [1, 2, 3]
        #expect(throws: AuditError.self) { try event.validate() }
        event.requestSHA256 = []
        event.message = String(repeating: "x", count: AuditEvent.maxTextBytes + 1)
        #expect(throws: AuditError.self) { try event.validate() }
    }
}
