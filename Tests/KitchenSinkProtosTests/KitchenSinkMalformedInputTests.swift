// Hostile input to every message of the kitchen-sink fixture (which has every field kind): random
// bytes, every truncation of every sample, broken framing, invalid UTF-8 and U+0000 in strings,
// inputs over the size limit or the memory budget. Decoders must throw MessageDecodingError and
// never crash; `make test-asan` runs this suite under AddressSanitizer.

import KitchenSinkProtos
import ProtoTestSupport
import RPCCore
import Testing

@Suite("Kitchen-sink malformed input")
struct KitchenSinkMalformedInputTests {
    @Test("random bytes, truncations, bad framing and bad strings, for every message")
    func everyMessage() {
        for type in GeneratedSamples.messageTypes { runProbes(type) }
    }

    @Test("an input over the size limit is refused before decoding")
    func oversized() {
        let input = [UInt8](repeating: 0, count: (16 << 20) + 1)
        #expect {
            _ = try KitchenSink(serializedBytes: input)
        } throws: { error in
            (error as? MessageDecodingError)?.reason.contains("limit") == true
        }
    }

    @Test("many empty sub-messages exceed the decoding memory budget and fail cleanly")
    func memoryBudget() {
        // 300k empty `middles` elements: 2 input bytes each, ~100 bytes each once unpacked.
        let element: [UInt8] = [0x12, 0x00]  // field 2, length-delimited, empty
        let input = Array([[UInt8]](repeating: element, count: 300_000).joined())
        #expect {
            _ = try Outer(serializedBytes: input)
        } throws: { error in
            let error = error as? MessageDecodingError
            return error?.messageName == "kitchen.v1.Outer" && error?.reason.contains("budget") == true
        }
        // The same shape at a reasonable size decodes.
        let small = Array([[UInt8]](repeating: element, count: 1_000).joined())
        #expect((try? Outer(serializedBytes: small))?.middles.count == 1_000)
    }

    @Test("a bad string deep inside a nested message names its path")
    func nestedPath() {
        // Outer.middles[0].deep.leaf = "\u{FF}"
        let deep = WireFormat.field(1, bytes: [0xFF])
        let middle = WireFormat.field(1, bytes: deep)
        let input = WireFormat.field(2, bytes: middle)
        #expect {
            _ = try Outer(serializedBytes: input)
        } throws: { error in
            (error as? MessageDecodingError)?.reason == "field middles[0].deep.leaf: string is not valid UTF-8"
        }
    }
}

func runProbes<Message: SampleableMessage>(_ type: Message.Type) {
    let probe = MalformedInputProbe(messageName: Message.protoName) { bytes in
        do {
            return .decoded(reencoded: try Message(serializedBytes: bytes).serializedBytes())
        } catch let error as MessageDecodingError {
            return .rejected(messageName: error.messageName, reason: error.reason)
        } catch {
            return .failed("\(error)")
        }
    }
    let random = probe.randomInputs(count: 2_000, seed: 0x5EED_0001 &+ UInt64(Message.protoName.utf8.count))
    #expect(random.problems.isEmpty, "\(random.problems.prefix(5))")
    var problems: [String] = []
    for index in 0..<Message.sampleCount {
        let valid = Message.sample(index).serializedBytes()
        problems += probe.truncations(of: valid)
        problems += probe.badFraming(of: valid)
    }
    problems += probe.invalidStrings(fieldNumbers: Message.stringFieldNumbers)
    #expect(problems.isEmpty, "\(problems.count) problems, first: \(problems.prefix(5))")
}
