// Bytes produced by the generated Swift, checked against encodings worked out by hand from the
// protobuf wire-format rules (field key = number << 3 | wire type, varints, zigzag-free ints as
// 10-byte two's complement, map entries as key = 1 / value = 2 sub-messages), in both
// directions. These catch field-number or type mix-ups that a Swift-only round trip cannot.

import PersonaProtos
import Testing

@Suite("Wire bytes worked out by hand")
struct WireBytesTests {
    @Test("SignRequest: string, uint32, bytes oneof, a zero in a set oneof, enum")
    func signRequest() throws {
        let request = SignRequest(keyName: "k1", version: 2, input: .data([1, 2, 3]), inputChecksum: .inputCrc32c(0),
                                  encoding: .der, requestId: "r")
        let expected: [UInt8] = [
            0x0A, 0x02, 0x6B, 0x31,        // 1: key_name "k1"
            0x10, 0x02,                    // 2: version 2
            0x1A, 0x03, 0x01, 0x02, 0x03,  // 3: data
            0x28, 0x00,                    // 5: input_crc32c 0 (present: its oneof is set)
            0x30, 0x02,                    // 6: encoding DER
            0x3A, 0x01, 0x72,              // 7: request_id "r"
        ]
        #expect(request.serializedBytes() == expected)
        #expect(try SignRequest(serializedBytes: expected) == request)
    }

    @Test("Key: repeated message, uint64, and a map encoded in key order")
    func key() throws {
        let key = Key(name: "n", versions: [KeyVersion(version: 1, state: .enabled)], rotationPeriodSeconds: 300,
                      labels: ["b": "2", "a": "1"])
        let expected: [UInt8] = [
            0x0A, 0x01, 0x6E,                                // 1: name "n"
            0x2A, 0x04, 0x08, 0x01, 0x10, 0x01,              // 5: versions[0] {version 1, state ENABLED}
            0x30, 0xAC, 0x02,                                // 6: rotation_period_seconds 300
            0x42, 0x06, 0x0A, 0x01, 0x61, 0x12, 0x01, 0x31,  // 8: labels {"a": "1"}
            0x42, 0x06, 0x0A, 0x01, 0x62, 0x12, 0x01, 0x32,  // 8: labels {"b": "2"}
        ]
        #expect(key.serializedBytes() == expected)
        #expect(try Key(serializedBytes: expected) == key)
    }

    @Test("SignResult: a message inside a oneof")
    func signResult() throws {
        let result = SignResult(result: .error(CallStatus(code: .notFound, message: "x")), index: 3)
        let expected: [UInt8] = [0x12, 0x05, 0x08, 0x05, 0x12, 0x01, 0x78, 0x20, 0x03]
        #expect(result.serializedBytes() == expected)
        #expect(try SignResult(serializedBytes: expected) == result)
    }

    @Test("negative int64 is a 10-byte varint; bool true is 1")
    func negativeNumbers() throws {
        let checkpoint = AuditCheckpoint(unixMillis: -1)
        let expected: [UInt8] = [0x30] + [UInt8](repeating: 0xFF, count: 9) + [0x01]
        #expect(checkpoint.serializedBytes() == expected)
        #expect(try AuditCheckpoint(serializedBytes: expected).unixMillis == -1)
        #expect(VerifyResponse(valid: true).serializedBytes() == [0x08, 0x01])
    }

    @Test("fields arriving out of order and unknown fields decode; unknown fields are dropped")
    func tolerantDecoding() throws {
        let bytes: [UInt8] = [0x3A, 0x01, 0x72, 0xF8, 0x07, 0x2A, 0x0A, 0x01, 0x6B]  // request_id, field 127, key_name
        let request = try SignRequest(serializedBytes: bytes)
        #expect(request.keyName == "k")
        #expect(request.requestId == "r")
        #expect(request.serializedBytes() == [0x0A, 0x01, 0x6B, 0x3A, 0x01, 0x72])
    }
}
