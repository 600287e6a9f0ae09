// Round trips every message of PersonaProtos through protobuf-c: each generated sample (every
// field set, each oneof case in turn) and the all-defaults value must decode to what was
// encoded, and encoding must be deterministic.

import PersonaProtos
import RPCCore
import Testing

@Suite("Round trips of every PersonaProtos message")
struct RoundTripTests {
    @Test("every sample of every message decodes to itself", arguments: GeneratedSamples.messageTypes.map(TypeCase.init))
    func samplesRoundTrip(_ type: TypeCase) throws {
        try checkRoundTrips(type.type)
    }

    @Test("the schema has the messages we expect to cover")
    func coverage() {
        let names = Set(GeneratedSamples.messageTypes.map { $0.protoName })
        #expect(names.count == GeneratedSamples.messageTypes.count)
        for expected in ["persona.hsm.v1.SignRequest", "persona.hsm.v1.Key", "persona.hsm.v1.CallStatus",
                         "persona.hsm.v1.AuditCheckpoint", "persona.hsm.v1.ImportKeyRequest"] {
            #expect(names.contains(expected))
        }
    }

    @Test("an all-defaults message encodes to no bytes and decodes from none")
    func emptyMessages() throws {
        for type in GeneratedSamples.messageTypes {
            try checkEmpty(type)
        }
    }
}

/// A message type as a test argument (shows its proto name in test output).
struct TypeCase: CustomTestStringConvertible, Sendable {
    let type: any SampleableMessage.Type
    var testDescription: String { type.protoName }
}

func checkRoundTrips<Message: SampleableMessage>(_ type: Message.Type) throws {
    for index in 0..<Message.sampleCount + 1 {
        let sample = Message.sample(index)
        let bytes = sample.serializedBytes()
        // Samples set every field, so only a message without fields encodes to nothing.
        #expect((sample == Message.empty) == bytes.isEmpty, "\(Message.protoName) sample \(index): \(bytes.count) bytes")
        let decoded = try Message(serializedBytes: bytes)
        #expect(decoded == sample, "\(Message.protoName) sample \(index) changed in a round trip")
        #expect(decoded.serializedBytes() == bytes, "\(Message.protoName) sample \(index) re-encodes differently")
        #expect(sample.serializedBytes() == bytes, "\(Message.protoName) encoding is not deterministic")
    }
}

func checkEmpty<Message: SampleableMessage>(_ type: Message.Type) throws {
    #expect(Message.empty.serializedBytes() == [], "\(Message.protoName) default value is not empty on the wire")
    #expect(try Message(serializedBytes: []) == Message.empty)
}
