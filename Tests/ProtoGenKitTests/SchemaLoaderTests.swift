// The schema loader reads protoc-c's descriptor set into the model faithfully: nested types,
// map entries, oneofs, enum values (negative too), streaming flags, idempotency options and the
// comments of the source file.

import ProtoGenKit
import Testing

@Suite("Reading descriptor sets")
struct SchemaLoaderTests {
    @Test("the fixture's messages, fields, oneofs and nested types are read")
    func messages() throws {
        let file = try #require(try Fixture.schema().file(named: Fixture.protoPath))
        #expect(file.package == "kitchen.v1")
        #expect(file.syntax == "proto3")
        #expect(file.messages.map(\.name) == ["KitchenSink", "Empty", "Outer"])
        let sink = file.messages[0]
        #expect(sink.fullName == "kitchen.v1.KitchenSink")
        #expect(sink.messages.filter { !$0.isMapEntry }.map(\.fullName) == ["kitchen.v1.KitchenSink.Inner"])
        #expect(sink.messages.filter(\.isMapEntry).count == 6)
        #expect(sink.enums.map(\.fullName) == ["kitchen.v1.KitchenSink.Mood"])
        #expect(sink.oneofs.map(\.name) == ["choice", "maybe_count"])
        let choice = sink.fields.filter { $0.oneofIndex == 0 }.map(\.name)
        #expect(choice == ["c_string", "c_int64", "c_inner", "c_bytes", "c_color", "c_bool", "c_double"])
        let inner = try #require(sink.fields.first { $0.name == "inner" })
        #expect(inner.type == .message("kitchen.v1.KitchenSink.Inner"))
        #expect(inner.label == .singular)
        let colors = try #require(sink.fields.first { $0.name == "r_color" })
        #expect(colors.type == .enumeration("kitchen.v1.Color"))
        #expect(colors.label == .repeated)
        #expect(sink.fields.first { $0.name == "f_sint64" }?.type == .sint64)
        #expect(sink.fields.first { $0.name == "f_sfixed32" }?.type == .sfixed32)
    }

    @Test("enum values keep their numbers, including negative ones")
    func enums() throws {
        let file = try #require(try Fixture.schema().file(named: Fixture.protoPath))
        let color = try #require(file.enums.first)
        #expect(color.values.map(\.name) == ["COLOR_UNSPECIFIED", "RED", "GREEN", "INFRARED"])
        #expect(color.values.map(\.number) == [0, 1, 2, -1])
        #expect(color.values[3].comment == "Negative values are legal in proto3 enums.")
    }

    @Test("service methods carry streaming flags and declared idempotency")
    func services() throws {
        let file = try #require(try Fixture.schema().file(named: Fixture.protoPath))
        let service = try #require(file.services.first)
        #expect(service.fullName == "kitchen.v1.KitchenService")
        let shapes = service.methods.map { "\($0.name):\($0.clientStreaming):\($0.serverStreaming)" }
        #expect(shapes == ["GetSink:false:false", "WatchSinks:false:true", "Upload:true:false", "Chat:true:true",
                           "CheckpointSink:false:false", "Describe:false:false"])
        #expect(service.methods.map(\.declaredIdempotent) == [false, false, false, false, false, true])
        #expect(service.methods[0].inputType == "kitchen.v1.Empty")
        #expect(service.methods[0].outputType == "kitchen.v1.KitchenSink")
    }

    @Test("comments come from source info: file, message, field, enum value, method")
    func comments() throws {
        let file = try #require(try Fixture.schema().file(named: Fixture.protoPath))
        #expect(file.comment?.hasPrefix("Kitchen-sink fixture for the Swift generator") == true)
        #expect(file.messages[0].comment == "Every field kind there is.")
        #expect(file.messages[0].fields.first { $0.name == "r_unpacked" }?.comment == "Not packed on the wire.")
        #expect(file.services[0].methods[1].comment == "Server streaming, idempotent by name (Watch).")
        #expect(file.messages[0].fields.first { $0.name == "f_double" }?.comment == nil)
    }

    @Test("bytes that are not a descriptor set fail with unreadableSchema")
    func garbage() {
        #expect {
            _ = try SchemaLoader.load(descriptorSet: [0x0A, 0xFF, 0xFF, 0xFF, 0x0F, 0x00])
        } throws: { error in
            (error as? GeneratorError)?.code == .unreadableSchema
        }
    }
}
