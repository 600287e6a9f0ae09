// Interop with an independent protobuf implementation: Google's protoc (C++) decodes the bytes
// our Swift produces into text format and encodes that text back, and our Swift must decode the
// result to the original value, for a sample of every message with every field set. A field our
// Swift put under the wrong number or type would not survive protoc's typed round trip.

import Foundation
import PersonaProtos
import ProtoTestSupport
import Testing

@Suite("protoc interop")
struct ProtocInteropTests {
    static let protos = ["persona/hsm/v1/admin.proto", "persona/hsm/v1/crypto.proto", "persona/hsm/v1/health.proto",
                         "persona/hsm/v1/keys.proto", "persona/hsm/v1/rpc.proto", "persona/hsm/v1/signing.proto"]

    static func protoc(_ mode: String, _ messageName: String, _ input: [UInt8]) throws -> ToolResult {
        try ExternalTool.run("protoc", ["--\(mode)=\(messageName)", "-I", "Protos"] + protos, input: input)
    }

    @Test("protoc decodes and re-encodes every sample to the same value",
          arguments: GeneratedSamples.messageTypes.map(TypeCase.init))
    func protocRoundTrip(_ type: TypeCase) throws {
        try checkThroughProtoc(type.type)
    }

    @Test("protoc's text view of a SignRequest shows each field under its proto name")
    func textView() throws {
        let request = SignRequest(keyName: "signer", version: 7, input: .digestSha256([0x00, 0xFF]),
                                  encoding: .rawRS, requestId: "id-1")
        let decoded = try Self.protoc("decode", "persona.hsm.v1.SignRequest", request.serializedBytes())
        #expect(decoded.status == 0, "\(decoded.stderr)")
        #expect(decoded.stdoutText == """
            key_name: "signer"
            version: 7
            digest_sha256: "\\000\\377"
            encoding: RAW_R_S
            request_id: "id-1"

            """)
    }

    @Test("text encoded by protoc, including non-ASCII, decodes to the expected value")
    func fromProtocText() throws {
        let text = """
            name: "ключ-🔑"
            purpose: SIGN_VERIFY
            algorithm: ED25519
            rotation_period_seconds: 18446744073709551615
            labels { key: "team" value: "идентичность" }
            versions { version: 2 state: VERIFY_ONLY created_unix_millis: -5 backends: "a" backends: "" }
            """
        let encoded = try Self.protoc("encode", "persona.hsm.v1.Key", Array(text.utf8))
        #expect(encoded.status == 0, "\(encoded.stderr)")
        let key = try Key(serializedBytes: encoded.stdout)
        #expect(key == Key(name: "ключ-🔑", purpose: .signVerify, algorithm: .ed25519,
                           versions: [KeyVersion(version: 2, state: .verifyOnly, createdUnixMillis: -5, backends: ["a", ""])],
                           rotationPeriodSeconds: .max, labels: ["team": "идентичность"]))
    }
}

func checkThroughProtoc<Message: SampleableMessage>(_ type: Message.Type) throws {
    for index in 0..<Message.sampleCount {
        let sample = Message.sample(index)
        let text = try ProtocInteropTests.protoc("decode", Message.protoName, sample.serializedBytes())
        #expect(text.status == 0, "protoc --decode \(Message.protoName): \(text.stderr)")
        let encoded = try ProtocInteropTests.protoc("encode", Message.protoName, text.stdout)
        #expect(encoded.status == 0, "protoc --encode \(Message.protoName): \(encoded.stderr)")
        let decoded = try Message(serializedBytes: encoded.stdout)
        #expect(decoded == sample, "\(Message.protoName) sample \(index) changed through protoc:\n\(text.stdoutText)")
    }
}
