// Serializes JSON values to UTF-8 bytes. In canonical mode this is the JSON Canonicalization
// Scheme (RFC 8785): members sorted by the UTF-16 code units of their names, ECMAScript number
// formatting, minimal string escaping, no whitespace, no Unicode normalization. In compact mode
// members keep their order (for documents people read). Output goes straight into a byte array.

/// The JSON Canonicalization Scheme (RFC 8785).
public enum JCS {
    /// The canonical UTF-8 bytes of `value`.
    ///
    /// - Throws: ``JSONError`` (`nonFiniteNumber`) for NaN or infinities.
    public static func canonicalize(_ value: JSONValue) throws(JSONError) -> [UInt8] {
        var writer = JSONWriter(canonical: true)
        try writer.write(value)
        return writer.output
    }

    /// Parses `bytes` strictly and returns their canonical form.
    public static func canonicalize(json bytes: [UInt8]) throws(JSONError) -> [UInt8] {
        try canonicalize(JSONParser.parse(bytes))
    }
}

extension JSONValue {
    /// Compact JSON (no whitespace) with members in their current order.
    public func compactBytes() throws(JSONError) -> [UInt8] {
        var writer = JSONWriter(canonical: false)
        try writer.write(self)
        return writer.output
    }
}

/// Appends JSON to a byte buffer.
struct JSONWriter {
    let canonical: Bool
    var output: [UInt8] = []

    init(canonical: Bool) {
        self.canonical = canonical
        output.reserveCapacity(1024)
    }

    mutating func write(_ value: JSONValue) throws(JSONError) {
        switch value {
        case .null: output.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
        case .bool(true): output.append(contentsOf: [0x74, 0x72, 0x75, 0x65])
        case .bool(false): output.append(contentsOf: [0x66, 0x61, 0x6C, 0x73, 0x65])
        case .number(let number): try ECMAScriptNumber.append(number, to: &output)
        case .string(let text): writeString(text)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                try write(element)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let object):
            output.append(UInt8(ascii: "{"))
            let members = canonical ? object.members.sorted { UTF16Order.precedes($0.key, $1.key) } : object.members
            for (index, member) in members.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                writeString(member.key)
                output.append(UInt8(ascii: ":"))
                try write(member.value)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    /// RFC 8785 §3.2.2.2: escape `"` and `\`, use the short forms \b \t \n \f \r, \u00xx (lower
    /// case) for other controls, and emit everything else as is.
    mutating func writeString(_ text: String) {
        output.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { bytes in
            var runStart = 0
            for index in 0..<bytes.count {
                let byte = bytes[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                runStart = index + 1
                output.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): output.append(byte)
                case 0x08: output.append(UInt8(ascii: "b"))
                case 0x09: output.append(UInt8(ascii: "t"))
                case 0x0A: output.append(UInt8(ascii: "n"))
                case 0x0C: output.append(UInt8(ascii: "f"))
                case 0x0D: output.append(UInt8(ascii: "r"))
                default:
                    let hex = Array("0123456789abcdef".utf8)
                    output.append(contentsOf: [UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
                }
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count]))
        }
        output.append(UInt8(ascii: "\""))
    }
}
