// Schemas the generator must refuse, each with an error that names what is wrong: short-name
// collisions across packages, recursion, method-id collisions, unsupported proto features,
// names generated code needs for itself, and references outside the generated files.

import ProtoGenKit
import ProtoTestSupport
import RPCCore
import Testing

@Suite("Schemas the generator refuses")
struct GeneratorErrorTests {
    private func generate(_ files: [ProtoFile], only: [String] = []) throws {
        _ = try SwiftGenerator(schema: Schema(files: files), options: GeneratorOptions(cModule: "CTest", moduleName: "Test"))
            .generateModule(files: only)
    }

    private func expectFailure(_ code: GeneratorError.Code, mentioning words: [String], _ files: [ProtoFile],
                               only: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            try generate(files, only: only)
            Issue.record("generation succeeded; expected \(code)", sourceLocation: sourceLocation)
        } catch let error as GeneratorError {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
            for word in words {
                #expect(error.message.contains(word), "\"\(error.message)\" lacks \(word)", sourceLocation: sourceLocation)
            }
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    private func file(_ name: String, package: String, messages: [MessageDecl] = [], enums: [EnumDecl] = [],
                      services: [ServiceDecl] = [], syntax: String = "proto3") -> ProtoFile {
        ProtoFile(name: name, package: package, syntax: syntax, messages: messages, enums: enums, services: services)
    }

    private func message(_ package: String, _ name: String, _ fields: [FieldDecl] = []) -> MessageDecl {
        MessageDecl(name: name, fullName: "\(package).\(name)", fields: fields)
    }

    @Test("a plain schema generates")
    func baseline() throws {
        try generate([file("a.proto", package: "a", messages: [message("a", "Thing", [
            FieldDecl(name: "name", number: 1, label: .singular, type: .string)])])])
    }

    @Test("two packages with the same short message name")
    func shortNameCollision() {
        expectFailure(.nameCollision, mentioning: ["a.Thing", "b.Thing", "`Thing`"], [
            file("a.proto", package: "a", messages: [message("a", "Thing")]),
            file("b.proto", package: "b", messages: [message("b", "Thing")]),
        ])
    }

    @Test("a message named like a service's generated type")
    func serviceNameCollision() {
        let service = ServiceDecl(name: "Vault", fullName: "a.Vault", methods: [
            MethodDecl(name: "Open", inputType: "a.VaultClient", outputType: "a.VaultClient")])
        expectFailure(.nameCollision, mentioning: ["VaultClient"], [
            file("a.proto", package: "a", messages: [message("a", "VaultClient")], services: [service])])
    }

    @Test("a message named like a type generated code relies on")
    func reservedName() {
        expectFailure(.nameCollision, mentioning: ["`String`"], [file("a.proto", package: "a", messages: [message("a", "String")])])
    }

    @Test("recursive messages, directly and through another message")
    func recursion() {
        expectFailure(.unsupportedFeature, mentioning: ["a.Node → a.Node", "stack"], [
            file("a.proto", package: "a", messages: [message("a", "Node", [
                FieldDecl(name: "children", number: 1, label: .repeated, type: .message("a.Node"))])])])
        expectFailure(.unsupportedFeature, mentioning: ["a.Left", "a.Right"], [
            file("a.proto", package: "a", messages: [
                message("a", "Left", [FieldDecl(name: "right", number: 1, label: .singular, type: .message("a.Right"))]),
                message("a", "Right", [FieldDecl(name: "left", number: 1, label: .singular, type: .message("a.Left"))]),
            ])])
    }

    @Test("two methods whose FNV-1a ids collide")
    func methodIDCollision() throws {
        // Random 9-letter names collide after ~100k tries (birthday bound of a 32-bit hash).
        var seen: [UInt32: String] = [:]
        var pair: (String, String)?
        var random = SeededGenerator(seed: 1)
        let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
        for _ in 0..<1_000_000 where pair == nil {
            let name = "M" + String((0..<8).map { _ in letters.randomElement(using: &random)! })
            let id = MethodDescriptor.stableID(fullName: "/a.S/\(name)")
            if let other = seen[id] { pair = (other, name) } else { seen[id] = name }
        }
        let (first, second) = try #require(pair)
        let service = ServiceDecl(name: "S", fullName: "a.S", methods: [
            MethodDecl(name: first, inputType: "a.Req", outputType: "a.Req"),
            MethodDecl(name: second, inputType: "a.Req", outputType: "a.Req"),
        ])
        expectFailure(.methodIDCollision, mentioning: ["/a.S/\(first)", "/a.S/\(second)"],
                      [file("a.proto", package: "a", messages: [message("a", "Req")], services: [service])])
    }

    @Test("proto2, proto3 optional and groups are refused")
    func unsupported() {
        expectFailure(.unsupportedFeature, mentioning: ["a.proto", "proto2"],
                      [file("a.proto", package: "a", messages: [message("a", "M")], syntax: "proto2")])
        expectFailure(.unsupportedFeature, mentioning: ["a.M.count", "optional"], [
            file("a.proto", package: "a", messages: [message("a", "M", [
                FieldDecl(name: "count", number: 1, label: .singular, type: .int32, isProto3Optional: true)])])])
        expectFailure(.unsupportedFeature, mentioning: ["group"], [
            file("a.proto", package: "a", messages: [message("a", "M", [
                FieldDecl(name: "g", number: 1, label: .singular, type: .group("a.M.G"))])])])
    }

    @Test("fields whose Swift names collide, and a oneof enum named like a nested message")
    func memberCollisions() {
        expectFailure(.nameCollision, mentioning: ["foo_bar", "fooBar"], [
            file("a.proto", package: "a", messages: [message("a", "M", [
                FieldDecl(name: "foo_bar", number: 1, label: .singular, type: .int32),
                FieldDecl(name: "fooBar", number: 2, label: .singular, type: .int32)])])])
        var decl = message("a", "M", [FieldDecl(name: "x", number: 1, label: .singular, type: .int32, oneofIndex: 0)])
        decl.oneofs = [OneofDecl(name: "kind")]
        decl.messages = [message("a.M", "Kind")]
        expectFailure(.nameCollision, mentioning: ["`Kind`"], [file("a.proto", package: "a", messages: [decl])])
    }

    @Test("references to unknown types or to files outside the module")
    func references() {
        expectFailure(.unresolvedReference, mentioning: ["a.M.other", "a.Missing"], [
            file("a.proto", package: "a", messages: [message("a", "M", [
                FieldDecl(name: "other", number: 1, label: .singular, type: .message("a.Missing"))])])])
        expectFailure(.unresolvedReference, mentioning: ["b.Dep", "b.proto"], [
            file("a.proto", package: "a", messages: [message("a", "M", [
                FieldDecl(name: "dep", number: 1, label: .singular, type: .message("b.Dep"))])]),
            file("b.proto", package: "b", messages: [message("b", "Dep")]),
        ], only: ["a.proto"])
    }
}
