// Round trips of the generator's kitchen-sink fixture (the golden Swift compiled over protoc-c's
// codec): every sample of every message, plus the cases where proto3 and protobuf-c are easy to
// get wrong — oneof members holding zero or empty values, negative and unknown enum values,
// extreme integers, non-ASCII text, empty strings inside repeated fields and maps.

import KitchenSinkProtos
import RPCCore
import Testing

@Suite("Kitchen-sink round trips")
struct KitchenSinkRoundTripTests {
    private func roundTrip<Message: WireMessage>(_ value: Message) throws -> Message {
        let bytes = value.serializedBytes()
        let decoded = try Message(serializedBytes: bytes)
        #expect(decoded.serializedBytes() == bytes, "re-encoding changed the bytes")
        return decoded
    }

    @Test("every sample of every fixture message decodes to itself")
    func samples() throws {
        #expect(GeneratedSamples.messageTypes.count == 6)
        for type in GeneratedSamples.messageTypes { try checkSamples(type) }
    }

    @Test("each oneof case survives, even when its value is zero or empty",
          arguments: [KitchenSink.Choice.cString(""), .cString("ü"), .cInt64(0), .cInt64(.min),
                      .cInner(KitchenSink.Inner()), .cInner(KitchenSink.Inner(label: "x", count: -1, mood: .grumpy)),
                      .cBytes([]), .cBytes([0, 0xFF]), .cColor(.unspecified), .cColor(.infrared),
                      .cColor(Color(rawValue: 77)), .cBool(false), .cBool(true), .cDouble(0), .cDouble(-1e300)])
    func oneofCases(_ choice: KitchenSink.Choice) throws {
        let value = KitchenSink(choice: choice, maybeCount: .count(0))
        let decoded = try roundTrip(value)
        #expect(decoded.choice == choice)
        #expect(decoded.maybeCount == .count(0))
        #expect(!value.serializedBytes().isEmpty)
    }

    @Test("an unset oneof stays nil")
    func unsetOneof() throws {
        let decoded = try roundTrip(KitchenSink(fInt32: 1))
        #expect(decoded.choice == nil)
        #expect(decoded.maybeCount == nil)
    }

    @Test("extreme numbers of every scalar kind")
    func extremes() throws {
        var value = KitchenSink()
        value.fDouble = -.greatestFiniteMagnitude
        value.fFloat = .leastNonzeroMagnitude
        value.fInt32 = .min
        value.fInt64 = .min
        value.fUint32 = .max
        value.fUint64 = .max
        value.fSint32 = .min
        value.fSint64 = .max
        value.fFixed32 = .max
        value.fFixed64 = .max
        value.fSfixed32 = .min
        value.fSfixed64 = .min
        value.rInt64 = [.min, -1, 0, .max]
        value.rSint32 = [.min, -1, 0, .max]
        value.rUint64 = [0, .max]
        value.rDouble = [0, -0.5, .infinity, -.infinity]
        value.rUnpacked = [-1, 0, 1]
        #expect(try roundTrip(value) == value)
    }

    @Test("negative and unknown enum values are kept, singular, repeated and in maps")
    func openEnums() throws {
        var value = KitchenSink()
        value.color = .infrared
        value.mood = KitchenSink.Mood(rawValue: 12345)
        value.rColor = [.infrared, Color(rawValue: -999), .unspecified, Color(rawValue: .max)]
        value.colorsById = [-1: .infrared, 0: Color(rawValue: 4242), .min: .green]
        let decoded = try roundTrip(value)
        #expect(decoded == value)
        #expect(decoded.mood.rawValue == 12345)
        #expect(decoded.color.description == "INFRARED")
        #expect(decoded.mood.description == "Mood(12345)")
    }

    @Test("text: non-ASCII, empty elements, empty map keys and values, keyword-named fields")
    func text() throws {
        var value = KitchenSink()
        value.fString = "Grüße, 世界 👋🏽 e\u{301}"
        value.rString = ["", "a", "", "ключ"]
        value.rBytes = [[], [0], [0xFF, 0x00]]
        value.labels = ["": "", "ключ": "значение", "empty": ""]
        value.inners = ["": KitchenSink.Inner(), "x": KitchenSink.Inner(label: "ü", count: 3, mood: .happy)]
        value.byFlag = [false: .min, true: .max]
        value.blobs = [0: [], .max: [1, 2, 3]]
        value.weights = [-5: 0.25, 0: -0.0, 7: .greatestFiniteMagnitude]
        value.default = "default"
        value.class = -7
        value.camelCaseName = "camel"
        #expect(try roundTrip(value) == value)
    }

    @Test("deeply nested types and maps of nested messages")
    func nesting() throws {
        let deep = Outer.Middle.Deep(leaf: "leaf", colors: [.red, .infrared])
        let value = Outer(middle: Outer.Middle(deep: deep, deeps: [deep, Outer.Middle.Deep()]),
                          middles: [Outer.Middle(), Outer.Middle(deep: deep)],
                          deepByName: ["a": deep, "": Outer.Middle.Deep()])
        #expect(try roundTrip(value) == value)
    }

    @Test("map encoding is ordered by key, so equal maps give equal bytes")
    func deterministicMaps() {
        var first = KitchenSink()
        var second = KitchenSink()
        for key in (0..<50).shuffled() { first.labels["k\(key)"] = "v\(key)" }
        for key in (0..<50).shuffled() { second.labels["k\(key)"] = "v\(key)" }
        #expect(first.serializedBytes() == second.serializedBytes())
    }

    @Test("a repeated map key keeps the last value, as protobuf specifies")
    func repeatedMapKey() throws {
        let entry: (String, String) -> [UInt8] = { key, value in
            let payload = [0x0A, UInt8(key.utf8.count)] + Array(key.utf8) + [0x12, UInt8(value.utf8.count)] + Array(value.utf8)
            return [0x92, 0x03, UInt8(payload.count)] + payload  // field 50, length-delimited
        }
        let decoded = try KitchenSink(serializedBytes: entry("k", "first") + entry("k", "second"))
        #expect(decoded.labels == ["k": "second"])
    }
}

func checkSamples<Message: SampleableMessage>(_ type: Message.Type) throws {
    #expect(Message.empty.serializedBytes().isEmpty)
    for index in 0...Message.sampleCount {
        let sample = Message.sample(index)
        let bytes = sample.serializedBytes()
        #expect((sample == Message.empty) == bytes.isEmpty)
        let decoded = try Message(serializedBytes: bytes)
        #expect(decoded == sample, "\(Message.protoName) sample \(index) changed in a round trip")
        #expect(decoded.serializedBytes() == bytes)
    }
}
