// A strict RFC 8259 / I-JSON (RFC 7493) parser over raw UTF-8 bytes. Credentials are hashed and
// signed, so the parser refuses every input that two implementations could read differently:
// duplicate keys, lone surrogates, invalid UTF-8, a byte order mark, numbers beyond double range,
// trailing content. It works on [UInt8] without Foundation because the batch issuer parses
// hundreds of thousands of documents.

/// Parses JSON text strictly.
public struct JSONParser: Sendable {
    /// Limits that bound the work a hostile document can cause.
    public struct Options: Sendable {
        /// Maximum nesting of arrays/objects (the top-level container is depth 1).
        public var maxDepth: Int
        /// Maximum input size in bytes.
        public var maxBytes: Int

        public init(maxDepth: Int = 64, maxBytes: Int = 16 << 20) {
            self.maxDepth = maxDepth
            self.maxBytes = maxBytes
        }
    }

    public let options: Options

    public init(options: Options = Options()) { self.options = options }

    /// Parses one JSON text (any value at the top level, surrounded by optional whitespace).
    ///
    /// - Throws: ``JSONError`` with the byte offset of the first problem.
    public func parse(_ bytes: [UInt8]) throws(JSONError) -> JSONValue {
        guard bytes.count <= options.maxBytes else {
            throw JSONError(.tooLarge, "input of \(bytes.count) bytes exceeds \(options.maxBytes)", offset: 0)
        }
        let maxDepth = options.maxDepth
        let result: Result<JSONValue, JSONError> = bytes.withUnsafeBufferPointer { buffer in
            var reader = JSONReader(input: buffer, maxDepth: maxDepth)
            do throws(JSONError) {
                return .success(try reader.parseDocument())
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Parses UTF-8 text with the same rules as the byte variant.
    public func parse(_ text: String) throws(JSONError) -> JSONValue { try parse(Array(text.utf8)) }

    /// Parses with default options.
    public static func parse(_ bytes: [UInt8]) throws(JSONError) -> JSONValue { try JSONParser().parse(bytes) }

    /// Parses UTF-8 text with default options.
    public static func parse(_ text: String) throws(JSONError) -> JSONValue { try JSONParser().parse(Array(text.utf8)) }
}

/// The cursor doing the work; lives only for one parse.
struct JSONReader {
    let input: UnsafeBufferPointer<UInt8>
    var position = 0
    let maxDepth: Int
    /// Reused buffer for strings that contain escapes.
    var scratch: [UInt8] = []

    init(input: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.input = input
        self.maxDepth = maxDepth
    }

    mutating func parseDocument() throws(JSONError) -> JSONValue {
        if input.count >= 3, input[0] == 0xEF, input[1] == 0xBB, input[2] == 0xBF {
            throw JSONError(.byteOrderMark, "a byte order mark is not allowed", offset: 0)
        }
        skipWhitespace()
        let value = try parseValue(depth: 0)
        skipWhitespace()
        guard position == input.count else {
            throw JSONError(.trailingContent, "unexpected content after the JSON value", offset: position)
        }
        return value
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while position < input.count {
            switch input[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position += 1
            default: return
            }
        }
    }

    func unexpected(_ what: String) -> JSONError {
        guard position < input.count else { return JSONError(.unexpectedEnd, "input ended; expected \(what)", offset: position) }
        let byte = input[position]
        let shown = byte >= 0x20 && byte < 0x7F ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
        return JSONError(.unexpectedCharacter, "\(shown); expected \(what)", offset: position)
    }

    mutating func parseValue(depth: Int) throws(JSONError) -> JSONValue {
        guard position < input.count else { throw unexpected("a value") }
        switch input[position] {
        case UInt8(ascii: "{"): return .object(try parseObject(depth: depth + 1))
        case UInt8(ascii: "["): return .array(try parseArray(depth: depth + 1))
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw unexpected("a value")
        }
    }

    mutating func expectLiteral(_ literal: StaticString) throws(JSONError) {
        let length = literal.utf8CodeUnitCount
        guard input.count - position >= length else { throw unexpected("'\(literal)'") }
        let bytes = literal.utf8Start
        for index in 0..<length where input[position + index] != bytes[index] {
            position += index
            throw unexpected("'\(literal)'")
        }
        position += length
    }

    mutating func checkDepth(_ depth: Int) throws(JSONError) {
        guard depth <= maxDepth else {
            throw JSONError(.depthExceeded, "nesting deeper than \(maxDepth)", offset: position)
        }
    }

    mutating func parseArray(depth: Int) throws(JSONError) -> [JSONValue] {
        try checkDepth(depth)
        position += 1  // [
        var elements: [JSONValue] = []
        skipWhitespace()
        if position < input.count, input[position] == UInt8(ascii: "]") {
            position += 1
            return elements
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue(depth: depth))
            skipWhitespace()
            guard position < input.count else { throw unexpected("',' or ']'") }
            switch input[position] {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "]"): position += 1; return elements
            default: throw unexpected("',' or ']'")
            }
        }
    }

    mutating func parseObject(depth: Int) throws(JSONError) -> JSONObject {
        try checkDepth(depth)
        position += 1  // {
        var members: [JSONMember] = []
        var seen: Set<ScalarKey>? = nil
        skipWhitespace()
        if position < input.count, input[position] == UInt8(ascii: "}") {
            position += 1
            return JSONObject(uniqueMembers: members)
        }
        while true {
            skipWhitespace()
            guard position < input.count, input[position] == UInt8(ascii: "\"") else { throw unexpected("a member name") }
            let keyOffset = position
            let key = try parseString()
            // Small objects: a scan; larger ones switch to a set keyed by exact UTF-8 bytes.
            if members.count < 16 {
                if members.contains(where: { scalarsEqual($0.key, key) }) { throw duplicate(key, at: keyOffset) }
            } else {
                if seen == nil { seen = Set(members.map { ScalarKey($0.key) }) }
                guard seen!.insert(ScalarKey(key)).inserted else { throw duplicate(key, at: keyOffset) }
            }
            skipWhitespace()
            guard position < input.count, input[position] == UInt8(ascii: ":") else { throw unexpected("':'") }
            position += 1
            skipWhitespace()
            members.append(JSONMember(key, try parseValue(depth: depth)))
            skipWhitespace()
            guard position < input.count else { throw unexpected("',' or '}'") }
            switch input[position] {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "}"): position += 1; return JSONObject(uniqueMembers: members)
            default: throw unexpected("',' or '}'")
            }
        }
    }

    func duplicate(_ key: String, at offset: Int) -> JSONError {
        JSONError(.duplicateKey, "duplicate member name \"\(key)\"", offset: offset)
    }
}

/// A string hashed and compared by its exact UTF-8 bytes (never by canonical equivalence).
struct ScalarKey: Hashable {
    let string: String
    init(_ string: String) { self.string = string }
    static func == (lhs: ScalarKey, rhs: ScalarKey) -> Bool { scalarsEqual(lhs.string, rhs.string) }
    func hash(into hasher: inout Hasher) {
        hasher.combine(string.utf8.count)
        for byte in string.utf8 { hasher.combine(byte) }
    }
}
