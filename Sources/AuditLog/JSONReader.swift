// A small strict RFC 8259 reader over bytes, used only to read audit lines back. Faster and more
// predictable than JSONSerialization (no NSNumber bridging, exact integers, byte-exact strings),
// and every failure names what was wrong and where, which the verifier's report passes on.

/// Reads one JSON document from a line of bytes.
struct JSONReader {
    private let bytes: ArraySlice<UInt8>
    private var index: Int
    private var depth = 0

    init(bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.index = bytes.startIndex
    }

    /// The single value the bytes hold; trailing bytes other than whitespace are an error.
    mutating func readDocument() throws(AuditError) -> AuditLineParser.Value {
        let value = try readValue()
        skipWhitespace()
        guard index == bytes.endIndex else { throw failure("unexpected bytes after the JSON object") }
        return value
    }

    private func failure(_ what: String) -> AuditError {
        AuditError(.corrupt, "invalid JSON at byte \(index - bytes.startIndex): \(what)")
    }

    private mutating func skipWhitespace() {
        while index < bytes.endIndex, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    private mutating func expect(_ byte: UInt8) throws(AuditError) {
        guard index < bytes.endIndex, bytes[index] == byte else {
            throw failure("expected '\(Character(Unicode.Scalar(byte)))'")
        }
        index += 1
    }

    private mutating func readValue() throws(AuditError) -> AuditLineParser.Value {
        skipWhitespace()
        guard index < bytes.endIndex else { throw failure("unexpected end of line") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try readObject()
        case UInt8(ascii: "\""): return .string(try readString())
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return try readNumber()
        default: return .other(try readOtherLiteral())
        }
    }

    private mutating func readObject() throws(AuditError) -> AuditLineParser.Value {
        depth += 1
        defer { depth -= 1 }
        guard depth <= 4 else { throw failure("objects nested too deeply") }
        try expect(UInt8(ascii: "{"))
        var members: [(key: String, value: AuditLineParser.Value)] = []
        skipWhitespace()
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
        while true {
            skipWhitespace()
            guard index < bytes.endIndex, bytes[index] == UInt8(ascii: "\"") else { throw failure("expected a member name") }
            let key = try readString()
            skipWhitespace()
            try expect(UInt8(ascii: ":"))
            members.append((key, try readValue()))
            skipWhitespace()
            guard index < bytes.endIndex else { throw failure("unterminated object") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            try expect(UInt8(ascii: "}"))
            return .object(members)
        }
    }

    /// Non-negative integers only (all numbers in records are); others are reported as `other`.
    private mutating func readNumber() throws(AuditError) -> AuditLineParser.Value {
        let start = index
        var value: UInt64 = 0
        var overflow = false
        while index < bytes.endIndex, bytes[index] >= 0x30, bytes[index] <= 0x39 {
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times.addingReportingOverflow(UInt64(bytes[index] - 0x30))
            overflow = overflow || o1 || o2
            value = sum
            index += 1
        }
        if index < bytes.endIndex, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[index]) {
            return .other(try readOtherLiteral(from: start))
        }
        guard !(bytes[start] == UInt8(ascii: "0") && index - start > 1) else { throw failure("number with a leading zero") }
        guard !overflow, value <= AuditRecord.maxSeq else { return .other("a number above 2^53-1") }
        return .integer(value)
    }

    /// Anything else JSON allows (arrays, literals, negative or fractional numbers) is consumed
    /// roughly and reported as `other`: records never contain it, so its exact value is moot.
    private mutating func readOtherLiteral(from start: Int? = nil) throws(AuditError) -> String {
        let begin = start ?? index
        while index < bytes.endIndex, ![UInt8(ascii: ","), UInt8(ascii: "}")].contains(bytes[index]) {
            guard bytes[index] != UInt8(ascii: "{"), bytes[index] != UInt8(ascii: "\"") else {
                throw failure("unsupported value")
            }
            index += 1
        }
        guard index > begin else { throw failure("expected a value") }
        return String(decoding: bytes[begin..<index], as: UTF8.self)
    }

    private mutating func readString() throws(AuditError) -> String {
        try expect(UInt8(ascii: "\""))
        var out = [UInt8]()
        while true {
            guard index < bytes.endIndex else { throw failure("unterminated string") }
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: out, as: UTF8.self) else { throw failure("string is not valid UTF-8") }
                return text
            case UInt8(ascii: "\\"):
                try readEscape(into: &out)
            case 0x00..<0x20:
                throw failure("unescaped control character in a string")
            default:
                out.append(byte)
            }
        }
    }

    private mutating func readEscape(into out: inout [UInt8]) throws(AuditError) {
        guard index < bytes.endIndex else { throw failure("unterminated escape") }
        let letter = bytes[index]
        index += 1
        switch letter {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(letter)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try readHex4()
            if (0xD800..<0xDC00).contains(scalar) {
                guard bytes[index...].starts(with: [UInt8(ascii: "\\"), UInt8(ascii: "u")]) else {
                    throw failure("unpaired surrogate")
                }
                index += 2
                let low = try readHex4()
                guard (0xDC00..<0xE000).contains(low) else { throw failure("unpaired surrogate") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw failure("unpaired surrogate") }
            out += Array(String(Character(unicode)).utf8)
        default:
            throw failure("unknown escape")
        }
    }

    private mutating func readHex4() throws(AuditError) -> UInt32 {
        guard bytes.endIndex - index >= 4 else { throw failure("short \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let nibble: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = byte - 0x30
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = byte - 0x61 + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = byte - 0x41 + 10
            default: throw failure("bad hex digit in \\u escape")
            }
            value = value << 4 | UInt32(nibble)
            index += 1
        }
        return value
    }
}
