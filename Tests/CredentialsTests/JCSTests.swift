// JCS (RFC 8785): the cyberphone reference vectors byte for byte, ECMAScript number formatting
// at its edges (including RFC 8785 Appendix B), Unicode ordering and escaping, and a randomized
// cross-check against the independent Python `jcs` package.

import Testing
import Credentials
import SoftCrypto
import TestSupport

@Suite struct JCSTests {
    @Test(arguments: ["arrays", "french", "structures", "unicode", "values", "weird"])
    func cyberphoneVectors(name: String) throws {
        let input = try SharedTestData.bytes("testvectors/rfc8785-cyberphone/input/\(name).json")
        let expected = try SharedTestData.bytes("testvectors/rfc8785-cyberphone/output/\(name).json")
        let hex = String(decoding: try SharedTestData.bytes("testvectors/rfc8785-cyberphone/outhex/\(name).txt"), as: UTF8.self)
        let expectedFromHex = try #require([UInt8](hexString: hex.split(whereSeparator: { $0 == " " || $0 == "\n" }).joined()))
        #expect(expected == expectedFromHex)
        let canonical = try JCS.canonicalize(json: input)
        #expect(canonical == expected, "\(String(decoding: canonical, as: UTF8.self))")
        // Canonical output is a fixed point.
        #expect(try JCS.canonicalize(json: canonical) == canonical)
    }

    /// RFC 8785 Appendix B (IEEE-754 bit pattern → canonical text) plus further edges.
    @Test(arguments: [
        ("0000000000000000", "0"), ("8000000000000000", "0"),
        ("0000000000000001", "5e-324"), ("8000000000000001", "-5e-324"),
        ("7fefffffffffffff", "1.7976931348623157e+308"), ("ffefffffffffffff", "-1.7976931348623157e+308"),
        ("4340000000000000", "9007199254740992"), ("c340000000000000", "-9007199254740992"),
        ("4430000000000000", "295147905179352830000"),
        ("44b52d02c7e14af5", "9.999999999999997e+22"), ("44b52d02c7e14af6", "1e+23"),
        ("44b52d02c7e14af7", "1.0000000000000001e+23"),
        ("444b1ae4d6e2ef4e", "999999999999999700000"), ("444b1ae4d6e2ef4f", "999999999999999900000"),
        ("444b1ae4d6e2ef50", "1e+21"),
        ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"), ("3eb0c6f7a0b5ed8d", "0.000001"),
        ("41b3de4355555553", "333333333.3333332"), ("41b3de4355555554", "333333333.33333325"),
        ("41b3de4355555555", "333333333.3333333"), ("41b3de4355555556", "333333333.3333334"),
        ("41b3de4355555557", "333333333.33333343"),
        ("becbf647612f3696", "-0.0000033333333333333333"), ("43143ff3c1cb0959", "1424953923781206.2"),
    ])
    func rfc8785AppendixB(bits: String, expected: String) throws {
        let value = Double(bitPattern: try #require(UInt64(bits, radix: 16)))
        #expect(try Self.text(.number(value)) == expected)
    }

    @Test(arguments: [
        (1e21, "1e+21"), (1e20, "100000000000000000000"), (1e-7, "1e-7"), (1e-6, "0.000001"),
        (1.2e-6, "0.0000012"), (1.2e-7, "1.2e-7"), (0.1 + 0.2, "0.30000000000000004"), (-0.0, "0"),
        (9007199254740994, "9007199254740994"), (1152921504606846976, "1152921504606847000"),
        (1.2345678901234568e20, "123456789012345680000"), (1.5e300, "1.5e+300"), (4.5, "4.5"),
        (0.002, "0.002"), (1e-27, "1e-27"), (1e30, "1e+30"), (100, "100"), (-1.5, "-1.5"),
        (2.2250738585072014e-308, "2.2250738585072014e-308"), (123e-20, "1.23e-18"), (0.5, "0.5"),
    ])
    func numberFormatting(value: Double, expected: String) throws {
        #expect(try Self.text(.number(value)) == expected)
    }

    @Test func parsedNumbersCanonicalize() throws {
        // I-JSON: integers beyond 2^53 round to the nearest double; underflow becomes 0.
        let parsed = try JSONParser.parse("[9007199254740993, -0, 0.1e1, 1e-400, 10E-1, 1.0, 123456789012345678901234567890]")
        #expect(try Self.text(parsed) == "[9007199254740992,0,1,0,1,1,1.2345678901234568e+29]")
        // Beyond the double range the number is refused rather than turned into Infinity.
        let error = #expect(throws: JSONError.self) { try JSONParser.parse("[1, 1E400]") }
        #expect(error?.code == .numberOutOfRange)
        #expect(error?.offset == 4)
    }

    @Test func nonFiniteNumbersAreRefused() {
        for value in [Double.nan, .infinity, -.infinity] {
            let error = #expect(throws: JSONError.self) { try JCS.canonicalize(.array([.number(value)])) }
            #expect(error?.code == .nonFiniteNumber)
        }
    }

    @Test func unicodeKeysAreKeptAndOrderedByCodeUnits() throws {
        // "é" precomposed (U+00E9) and decomposed (e + U+0301) are distinct keys; U+1F600 (surrogates
        // D83D DE00) sorts before U+FB01 (FB01) by UTF-16 although its scalar is larger.
        let input = "{\"\u{FB01}\":1,\"\u{1F600}\":2,\"e\u{301}\":3,\"\u{E9}\":4,\"z\":5,\"\u{E000}\":6,\"\u{10000}\":7}"
        let value = try JSONParser.parse(input)
        #expect(value.objectValue?.count == 7)
        let canonical = String(decoding: try JCS.canonicalize(value), as: UTF8.self)
        #expect(canonical == "{\"e\u{301}\":3,\"z\":5,\"\u{E9}\":4,\"\u{10000}\":7,\"\u{1F600}\":2,\"\u{E000}\":6,\"\u{FB01}\":1}")
        // No normalization: the decomposed key's bytes survive.
        #expect(canonical.utf8.contains(0xCC))
    }

    @Test func stringEscaping() throws {
        let value = JSONValue.string("\u{0}\u{8}\u{9}\u{A}\u{C}\u{D}\u{F}\u{1F}\"\\/\u{7F}\u{2028}é😀")
        #expect(try Self.text(value) == "\"\\u0000\\b\\t\\n\\f\\r\\u000f\\u001f\\\"\\\\/\u{7F}\u{2028}é😀\"")
    }

    @Test func compactKeepsOrder() throws {
        let value = try JSONParser.parse(#" { "b" : [1, 2.50, "x"], "a" : {"d": null, "c": true} } "#)
        #expect(String(decoding: try value.compactBytes(), as: UTF8.self) == #"{"b":[1,2.5,"x"],"a":{"d":null,"c":true}}"#)
        #expect(String(decoding: try JCS.canonicalize(value), as: UTF8.self) == #"{"a":{"c":true,"d":null},"b":[1,2.5,"x"]}"#)
    }

    /// Random doubles (uniform bit patterns and "human" decimals) and random Unicode keys,
    /// canonicalized by us and by the Python `jcs` package; the bytes must match.
    @Test func agreesWithPythonJCS() throws {
        var generator = SplitMix64(seed: 0x5EED_1234)
        var numbers: [Double] = []
        while numbers.count < 3000 {
            let candidate = numbers.count % 3 == 0
                ? Double(Int64(bitPattern: generator.next()) % 10_000_000) / Self.pow10(Int(generator.next() % 12))
                : Double(bitPattern: generator.next())
            if candidate.isFinite { numbers.append(candidate) }
        }
        let scalars: [UInt32] = [0x41, 0x7A, 0xE9, 0x65, 0x301, 0x20AC, 0xFB33, 0xE000, 0xFFFD, 0x1F602, 0x10000, 0x10FFFF, 0x7F, 0x1F]
        var object = JSONObject()
        for _ in 0..<200 {
            var key = ""
            for _ in 0..<(1 + Int(generator.next() % 4)) {
                key.unicodeScalars.append(Unicode.Scalar(scalars[Int(generator.next() % UInt64(scalars.count))])!)
            }
            // Value = position, the same rule the Python side uses.
            if !object.contains(key) { object[key] = .number(Double(object.count)) }
        }
        let document = JSONValue.array([.array(numbers.map { .number($0) }), .object(object)])
        let ours = try JCS.canonicalize(document)
        // Python receives the bit patterns, not our text, so it formats every number itself.
        let bits = numbers.map { String($0.bitPattern, radix: 16) }
        let keys = object.members.map { member in member.key.unicodeScalars.map { String($0.value, radix: 16) }.joined(separator: " ") }
        let request = try JSONValue.object(["bits": .array(bits.map { .string($0) }), "keys": .array(keys.map { .string($0) }),
                                            "ours": .string(String(decoding: ours, as: UTF8.self))]).compactBytes()
        let result = try Subprocess.python("creds_jcs_check.py", input: request)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("ok"), "\(result.stdout)")
    }

    private static func pow10(_ exponent: Int) -> Double {
        var value = 1.0
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    static func text(_ value: JSONValue) throws -> String { String(decoding: try JCS.canonicalize(value), as: UTF8.self) }
}

/// A small deterministic generator so failures reproduce.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
