// Naming rules. The C names are checked against the header protoc-c actually wrote for the
// fixture, so a drift between our copy of protoc-c's rules and the tool fails here with a clear
// message before it fails as a compile error in generated code.

import Foundation
@testable import ProtoGenKit
import Testing

@Suite("Swift and C naming")
struct NamingTests {
    @Test("field names become lowerCamelCase")
    func fields() {
        #expect(SwiftNaming.lowerCamel("key_name") == "keyName")
        #expect(SwiftNaming.lowerCamel("digest_sha256") == "digestSha256")
        #expect(SwiftNaming.lowerCamel("input_crc32c") == "inputCrc32c")
        #expect(SwiftNaming.lowerCamel("camelCaseName") == "camelCaseName")
        #expect(SwiftNaming.lowerCamel("URL_path") == "urlPath")
        #expect(SwiftNaming.upperCamel("input_checksum") == "InputChecksum")
    }

    @Test("enum constants drop the enum-name prefix when that stays valid")
    func enumCases() {
        #expect(SwiftNaming.enumCase("KEY_STATE_ENABLED", enumName: "KeyState") == "enabled")
        #expect(SwiftNaming.enumCase("AES_256_GCM", enumName: "Algorithm") == "aes256Gcm")
        #expect(SwiftNaming.enumCase("ECDSA_P256_SHA256", enumName: "Algorithm") == "ecdsaP256Sha256")
        #expect(SwiftNaming.enumCase("SIGNATURE_ENCODING_DEFAULT", enumName: "SignatureEncoding") == "default")
        #expect(SwiftNaming.enumCase("COLOR_2D", enumName: "Color") == "color2d")
        #expect(SwiftNaming.upperSnake("HTTPRequest") == "HTTP_REQUEST")
    }

    @Test("keywords are escaped, method names are lowerCamelCase")
    func keywords() {
        #expect(SwiftNaming.escaped("default") == "`default`")
        #expect(SwiftNaming.escaped("keyName") == "keyName")
        #expect(SwiftNaming.methodName("SignBatch") == "signBatch")
        #expect(SwiftNaming.methodName("URLFetch") == "urlFetch")
        #expect(SwiftNaming.stringLiteral("a\"b\\c\n") == "\"a\\\"b\\\\c\\n\"")
    }

    @Test("C type, function and member names match protoc-c's header for every fixture message")
    func cNamesMatchProtocC() throws {
        let headerURL = Fixture.directory.deletingLastPathComponent()
            .appendingPathComponent("Fixtures/CKitchenSinkProtos/include/kitchen/v1/kitchen_sink.pb-c.h")
        let header = try String(contentsOf: headerURL, encoding: .utf8)
        let catalog = TypeCatalog(schema: try Fixture.schema())
        #expect(catalog.messages.count == 13)
        for info in catalog.messages.values {
            #expect(header.contains("struct  \(info.cType)\n"), "no C struct \(info.cType)")
            #expect(header.contains("void   \(info.cPrefix)__init"), "no \(info.cPrefix)__init")
            #expect(header.contains("\(info.cPrefix)__unpack") == info.isTopLevel,
                    "\(info.decl.fullName): __unpack exists only for top-level messages")
            let plan = try catalog.plan(info)
            for member in plan.members {
                switch member {
                case .field(let field):
                    if case .singular = field.storage {
                        #expect(header.range(of: "[ *]\(field.cMember);", options: .regularExpression) != nil,
                                "no C member \(field.cMember) in \(info.cType)")
                    } else {
                        #expect(header.contains("size_t \(field.cCountMember);"), "no \(field.cCountMember)")
                    }
                case .oneof(let oneof):
                    #expect(header.contains(" \(oneof.cCaseMember);"), "no \(oneof.cCaseMember)")
                }
            }
        }
    }
}
