// Hostile input to EVERY PersonaProtos message: thousands of seeded random byte strings, every
// truncation of every sample, broken framing (lengths past the end, overlong varints, bad wire
// types), invalid UTF-8 and U+0000 in every string field, inputs over the size limit and the
// memory budget. Decoders must throw MessageDecodingError naming the message, never crash.
// `make test-asan` runs this suite under AddressSanitizer.

import PersonaProtos
import ProtoTestSupport
import RPCCore
import Testing

@Suite("Malformed input to every PersonaProtos decoder")
struct MalformedInputTests {
    @Test("random bytes, truncations, bad framing and bad strings", arguments: GeneratedSamples.messageTypes.map(TypeCase.init))
    func everyMessage(_ type: TypeCase) {
        probe(type.type)
    }

    @Test("invalid UTF-8 in a top-level string names the field")
    func topLevelString() {
        let input = WireFormat.field(1, bytes: [0x6B, 0xC3]) + WireFormat.field(2, varint: 1)
        #expect {
            _ = try SignRequest(serializedBytes: input)
        } throws: { error in
            let error = error as? MessageDecodingError
            return error?.messageName == "persona.hsm.v1.SignRequest"
                && error?.reason == "field key_name: string is not valid UTF-8"
        }
    }

    @Test("a bad string inside a batch names the element path")
    func nestedString() {
        let good = WireFormat.field(1, bytes: Array("ok".utf8))
        let bad = WireFormat.field(7, bytes: [0x61, 0x00, 0x62])
        let input = WireFormat.field(1, bytes: good) + WireFormat.field(1, bytes: good + bad)
        #expect {
            _ = try SignBatchRequest(serializedBytes: input)
        } throws: { error in
            (error as? MessageDecodingError)?.reason
                == "field requests[1].request_id: string contains U+0000, which protobuf-c cannot represent"
        }
    }

    @Test("a bad map key is rejected")
    func mapKey() {
        let entry = WireFormat.field(1, bytes: [0xE2, 0x82]) + WireFormat.field(2, bytes: Array("v".utf8))
        let input = WireFormat.field(8, bytes: entry)
        #expect {
            _ = try Key(serializedBytes: input)
        } throws: { error in
            (error as? MessageDecodingError)?.reason == "field labels[0].key: string is not valid UTF-8"
        }
    }

    @Test("input over the 16 MiB limit is refused")
    func oversized() {
        #expect {
            _ = try SignRequest(serializedBytes: [UInt8](repeating: 0x08, count: (16 << 20) + 1))
        } throws: { error in
            (error as? MessageDecodingError)?.reason.contains("over the limit") == true
        }
    }

    @Test("a batch of empty requests large enough to blow the memory budget fails cleanly")
    func memoryBudget() throws {
        let input = Array([[UInt8]](repeating: [0x0A, 0x00], count: 400_000).joined())
        #expect {
            _ = try SignBatchRequest(serializedBytes: input)
        } throws: { error in
            (error as? MessageDecodingError)?.reason.contains("memory budget") == true
        }
        let realistic = SignBatchRequest(requests: (0..<1_024).map {
            SignRequest(keyName: "key-\($0)", input: .data([UInt8](repeating: 1, count: 64)), requestId: "\($0)")
        })
        #expect(try SignBatchRequest(serializedBytes: realistic.serializedBytes()) == realistic)
    }
}

func probe<Message: SampleableMessage>(_ type: Message.Type) {
    let probe = MalformedInputProbe(messageName: Message.protoName) { bytes in
        do {
            return .decoded(reencoded: try Message(serializedBytes: bytes).serializedBytes())
        } catch let error as MessageDecodingError {
            return .rejected(messageName: error.messageName, reason: error.reason)
        } catch {
            return .failed("\(error)")
        }
    }
    var seed: UInt64 = 0x5EED
    for byte in Message.protoName.utf8 { seed = seed &* 31 &+ UInt64(byte) }
    let random = probe.randomInputs(count: 1_000, seed: seed)
    #expect(random.problems.isEmpty, "\(random.problems.prefix(5))")
    #expect(random.rejected > 0, "no random input was rejected")
    var problems: [String] = []
    for index in 0..<Message.sampleCount {
        let valid = Message.sample(index).serializedBytes()
        problems += probe.truncations(of: valid)
        problems += probe.badFraming(of: valid)
    }
    problems += probe.invalidStrings(fieldNumbers: Message.stringFieldNumbers)
    #expect(problems.isEmpty, "\(problems.count) problems, first: \(problems.prefix(5))")
}
