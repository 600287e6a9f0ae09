// The strict parser: what it accepts, every class of refusal with its code and byte offset, and
// the Unicode rules that JCS depends on (canonically equivalent keys stay distinct).

import Testing
import Credentials

@Suite struct JSONParserTests {
    @Test func parsesAllValueKinds() throws {
        let value = try JSONParser.parse(" {\"a\":[1,-2.5e3,true,false,null,\"x\\u00e9\\ud83d\\ude00\\n\"],\"b\":{}} \r\n\t")
        let members = try #require(value.objectValue)
        #expect(members.keys == ["a", "b"])
        #expect(value["a"] == [1, -2500, true, false, nil, "xé😀\n"])
        #expect(value["b"]?.objectValue?.isEmpty == true)
        #expect(try JSONParser.parse("\"top\"") == "top")
        #expect(try JSONParser.parse("0") == 0)
        #expect(try JSONParser.parse("[]") == [])
        #expect(try JSONParser.parse("\"\\u0000\"").stringValue == "\u{0}")
    }

    @Test(arguments: [
        ("", "unexpectedEnd", 0), ("{", "unexpectedEnd", 1), ("[1,]", "unexpectedCharacter", 3),
        ("{\"a\":1,}", "unexpectedCharacter", 7), ("{'a':1}", "unexpectedCharacter", 1), ("[1 2]", "unexpectedCharacter", 3),
        ("01", "invalidNumber", 0), ("-", "invalidNumber", 0), ("1.", "invalidNumber", 0), (".5", "unexpectedCharacter", 0),
        ("1e", "invalidNumber", 0), ("+1", "unexpectedCharacter", 0), ("NaN", "unexpectedCharacter", 0),
        ("Infinity", "unexpectedCharacter", 0), ("[1e309]", "numberOutOfRange", 1), ("tru", "unexpectedCharacter", 0),
        ("nul", "unexpectedCharacter", 0), ("1 2", "trailingContent", 2), ("{} {}", "trailingContent", 3),
        ("\"abc", "unexpectedEnd", 0), ("\"a\tb\"", "controlCharacter", 2), ("\"a\\x\"", "invalidEscape", 2),
        ("\"\\u12\"", "invalidEscape", 1), ("\"\\ud800\"", "loneSurrogate", 1), ("\"\\udc00\"", "loneSurrogate", 1),
        ("\"\\ud800\\u0041\"", "loneSurrogate", 1), ("[\"ok\",\"\\ude02\\ud83d\"]", "loneSurrogate", 7),
        ("{\"a\":1,\"a\":2}", "duplicateKey", 7), ("/* c */ 1", "unexpectedCharacter", 0),
        ("\u{FEFF}{}", "byteOrderMark", 0), ("[1,\u{0B}2]", "unexpectedCharacter", 3),
    ])
    func refusals(text: String, code: String, offset: Int) {
        let error = #expect(throws: JSONError.self) { try JSONParser.parse(text) }
        #expect(error?.code.name == code, "\(text.debugDescription): \(String(describing: error))")
        #expect(error?.offset == offset, "\(text.debugDescription): \(String(describing: error))")
    }

    @Test func invalidUTF8IsRefusedWithOffset() {
        let cases: [([UInt8], Int)] = [
            ([0x22, 0x61, 0xFF, 0x22], 2),                     // invalid byte
            ([0x22, 0xC0, 0xAF, 0x22], 1),                     // overlong "/"
            ([0x22, 0xED, 0xA0, 0x80, 0x22], 1),               // UTF-8-encoded surrogate (CESU)
            ([0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], 1),         // above U+10FFFF
            ([0x22, 0x5C, 0x6E, 0xE2, 0x82, 0x22], 3),         // truncated sequence after an escape
        ]
        for (bytes, offset) in cases {
            let error = #expect(throws: JSONError.self) { try JSONParser.parse(bytes) }
            #expect(error?.code == .invalidUTF8)
            #expect(error?.offset == offset, "\(bytes)")
        }
    }

    @Test func canonicallyEquivalentKeysAreDistinct() throws {
        // NFC "é" and NFD "e\u0301": Swift's == says equal, JSON says different keys.
        #expect("\u{E9}" == "e\u{301}")
        let value = try JSONParser.parse("{\"\u{E9}\":1,\"e\u{301}\":2}")
        let object = try #require(value.objectValue)
        #expect(object.count == 2)
        #expect(object["\u{E9}"] == 1)
        #expect(object["e\u{301}"] == 2)
        // Equality of values also looks at scalars.
        #expect(JSONValue.string("\u{E9}") != JSONValue.string("e\u{301}"))
        // A genuine duplicate (same scalars, one written with an escape) is still refused.
        let error = #expect(throws: JSONError.self) { try JSONParser.parse("{\"\u{E9}\":1,\"\\u00e9\":2}") }
        #expect(error?.code == .duplicateKey)
        // And in large objects (set-based check).
        var text = "{"
        for index in 0..<40 { text += "\"k\(index)\":\(index)," }
        text += "\"\u{E9}\":1,\"e\u{301}\":2,\"k7\":0}"
        let large = #expect(throws: JSONError.self) { try JSONParser.parse(text) }
        #expect(large?.code == .duplicateKey)
    }

    @Test func depthAndSizeLimits() throws {
        let parser = JSONParser(options: .init(maxDepth: 5, maxBytes: 64))
        #expect(try parser.parse("[[[[[1]]]]]") == [[[[[1]]]]])
        let deep = #expect(throws: JSONError.self) { try parser.parse("[[[[[[1]]]]]]") }
        #expect(deep?.code == .depthExceeded)
        let large = #expect(throws: JSONError.self) { try parser.parse("[" + String(repeating: "1,", count: 40) + "1]") }
        #expect(large?.code == .tooLarge)
        // The default limit stops stack exhaustion from hostile nesting.
        let hostile = String(repeating: "[", count: 100_000)
        let error = #expect(throws: JSONError.self) { try JSONParser.parse(hostile) }
        #expect(error?.code == .depthExceeded)
    }

    @Test func objectEditingKeepsKeysUnique() throws {
        var object: JSONObject = ["a": 1, "b": 2]
        object["a"] = 3
        object["c"] = 4
        object["b"] = nil
        #expect(object.keys == ["a", "c"])
        #expect(object.removeValue(forKey: "a") == 3)
        #expect(throws: JSONError.self) { try JSONObject(members: [JSONMember("x", 1), JSONMember("x", 2)]) }
        #expect(JSONValue.object(["x": 1, "y": 2]) == JSONValue.object(["y": 2, "x": 1]))
    }
}
