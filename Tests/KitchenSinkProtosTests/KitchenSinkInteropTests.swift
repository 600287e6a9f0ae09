// The kitchen-sink fixture against Google's protoc (C++): one value with every field kind is
// encoded by our Swift and printed by `protoc --decode`, and must read as the text written here
// by hand; the same text encoded by `protoc --encode` must give identical bytes and decode back
// to the value. Also every generated sample survives a protoc decode/encode round trip.

import KitchenSinkProtos
import ProtoTestSupport
import Testing

@Suite("Kitchen-sink interop with protoc")
struct KitchenSinkInteropTests {
    static func protoc(_ mode: String, _ messageName: String, _ input: [UInt8]) throws -> ToolResult {
        try ExternalTool.run("protoc", ["--\(mode)=kitchen.v1.\(messageName)", "-I", "Tests/ProtoGenKitTests/Fixtures",
                                        "kitchen/v1/kitchen_sink.proto"], input: input)
    }

    static let value = KitchenSink(
        fDouble: 1.5, fFloat: -0.25, fInt32: -7, fInt64: -9_000_000_000, fUint32: .max, fUint64: .max,
        fSint32: .min, fSint64: .max, fFixed32: 305_419_896, fFixed64: 1, fSfixed32: -1, fSfixed64: -2,
        fBool: true, fString: "hello", fBytes: [0x00, 0xFF], color: .infrared, mood: .grumpy,
        inner: KitchenSink.Inner(label: "in", count: 3, mood: .happy),
        rDouble: [1, -2], rFloat: [0.5], rInt32: [-1, 0, 1], rInt64: [5], rUint32: [7], rUint64: [8],
        rSint32: [-3], rSint64: [-4], rFixed32: [9], rFixed64: [10], rSfixed32: [-11], rSfixed64: [-12],
        rBool: [true, false], rString: ["", "x"], rBytes: [[1]], rColor: [.red, .infrared],
        rInner: [KitchenSink.Inner(label: "r")], rUnpacked: [2, 3],
        labels: ["a": "b"], inners: ["i": KitchenSink.Inner(count: 1)], colorsById: [4: .green],
        blobs: [6: [6]], byFlag: [true: -1], weights: [-2: 0.125],
        choice: .cInner(KitchenSink.Inner(label: "chosen")), maybeCount: .count(0),
        default: "d", class: 9, camelCaseName: "c")

    static let text = """
        f_double: 1.5
        f_float: -0.25
        f_int32: -7
        f_int64: -9000000000
        f_uint32: 4294967295
        f_uint64: 18446744073709551615
        f_sint32: -2147483648
        f_sint64: 9223372036854775807
        f_fixed32: 305419896
        f_fixed64: 1
        f_sfixed32: -1
        f_sfixed64: -2
        f_bool: true
        f_string: "hello"
        f_bytes: "\\000\\377"
        color: INFRARED
        mood: GRUMPY
        inner {
          label: "in"
          count: 3
          mood: HAPPY
        }
        r_double: 1
        r_double: -2
        r_float: 0.5
        r_int32: -1
        r_int32: 0
        r_int32: 1
        r_int64: 5
        r_uint32: 7
        r_uint64: 8
        r_sint32: -3
        r_sint64: -4
        r_fixed32: 9
        r_fixed64: 10
        r_sfixed32: -11
        r_sfixed64: -12
        r_bool: true
        r_bool: false
        r_string: ""
        r_string: "x"
        r_bytes: "\\001"
        r_color: RED
        r_color: INFRARED
        r_inner {
          label: "r"
        }
        r_unpacked: 2
        r_unpacked: 3
        labels {
          key: "a"
          value: "b"
        }
        inners {
          key: "i"
          value {
            count: 1
          }
        }
        colors_by_id {
          key: 4
          value: GREEN
        }
        blobs {
          key: 6
          value: "\\006"
        }
        by_flag {
          key: true
          value: -1
        }
        weights {
          key: -2
          value: 0.125
        }
        c_inner {
          label: "chosen"
        }
        count: 0
        default: "d"
        class: 9
        camelCaseName: "c"

        """

    @Test("protoc reads our bytes as the hand-written text")
    func swiftToProtoc() throws {
        let decoded = try Self.protoc("decode", "KitchenSink", Self.value.serializedBytes())
        #expect(decoded.status == 0, "\(decoded.stderr)")
        #expect(decoded.stdoutText == Self.text)
    }

    @Test("protoc's encoding of the text is byte-identical and decodes to the value")
    func protocToSwift() throws {
        let encoded = try Self.protoc("encode", "KitchenSink", Array(Self.text.utf8))
        #expect(encoded.status == 0, "\(encoded.stderr)")
        #expect(encoded.stdout == Self.value.serializedBytes())
        #expect(try KitchenSink(serializedBytes: encoded.stdout) == Self.value)
    }

    @Test("every sample of every fixture message survives protoc's decode and encode")
    func samplesThroughProtoc() throws {
        for type in GeneratedSamples.messageTypes { try throughProtoc(type) }
    }
}

func throughProtoc<Message: SampleableMessage>(_ type: Message.Type) throws {
    let shortName = String(Message.protoName.dropFirst("kitchen.v1.".count))
    for index in 0..<Message.sampleCount {
        let sample = Message.sample(index)
        let text = try KitchenSinkInteropTests.protoc("decode", shortName, sample.serializedBytes())
        #expect(text.status == 0, "\(Message.protoName): \(text.stderr)")
        let encoded = try KitchenSinkInteropTests.protoc("encode", shortName, text.stdout)
        #expect(encoded.status == 0, "\(Message.protoName): \(encoded.stderr)")
        #expect(try Message(serializedBytes: encoded.stdout) == sample, "\(Message.protoName) sample \(index)")
    }
}
