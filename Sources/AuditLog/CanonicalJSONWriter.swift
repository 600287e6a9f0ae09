// Writes the canonical JSON of audit records by hand, byte by byte. The output is the JSON
// Canonicalization Scheme (RFC 8785) for the values records contain (strings, integers below
// 2^53, objects of strings) as long as callers emit keys in sorted order, which the record
// encoder does. Hand-written because it runs on the writer thread for every record, and because
// the hash chain needs one exact byte form that an independent JCS implementation reproduces.

/// Appends canonical JSON to a byte buffer.
struct CanonicalJSONWriter {
    private(set) var bytes: [UInt8]
    /// Per open object: whether the next member needs a leading comma.
    private var needsComma: [Bool] = []

    init(capacity: Int = 512) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Where the next member of the innermost object will begin.
    var nextMemberIndex: Int { bytes.count + (needsComma.last == true ? 1 : 0) }

    mutating func beginObject() {
        bytes.append(UInt8(ascii: "{"))
        needsComma.append(false)
    }

    mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma.removeLast()
    }

    /// Starts a member; keys must come in JCS order (UTF-16 code unit order).
    mutating func key(_ key: String) {
        if needsComma[needsComma.count - 1] { bytes.append(UInt8(ascii: ",")) }
        needsComma[needsComma.count - 1] = true
        string(key)
        bytes.append(UInt8(ascii: ":"))
    }

    mutating func member(_ key: String, _ value: String) {
        self.key(key)
        string(value)
    }

    mutating func member(_ key: String, hex value: [UInt8]) {
        self.key(key)
        bytes.append(UInt8(ascii: "\""))
        CanonicalJSONWriter.appendHex(value, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func member(_ key: String, _ value: UInt64) {
        self.key(key)
        integer(value)
    }

    mutating func member(_ key: String, _ time: AuditTimestamp) {
        self.key(key)
        bytes.append(UInt8(ascii: "\""))
        bytes += time.rfc3339Bytes
        bytes.append(UInt8(ascii: "\""))
    }

    /// An object of string members, keys sorted as JCS requires.
    mutating func member(_ key: String, object: [String: String]) {
        self.key(key)
        beginObject()
        for entry in object.sorted(by: { CanonicalJSONWriter.precedes($0.key, $1.key) }) {
            member(entry.key, entry.value)
        }
        endObject()
    }

    /// JCS member order: lexicographic over UTF-16 code units.
    static func precedes(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf16.lexicographicallyPrecedes(rhs.utf16)
    }

    mutating func integer(_ value: UInt64) {
        if value == 0 { bytes.append(UInt8(ascii: "0")); return }
        var digits: [UInt8] = []
        var rest = value
        while rest > 0 { digits.append(0x30 + UInt8(rest % 10)); rest /= 10 }
        bytes += digits.reversed()
    }

    /// A JSON string with JCS escaping: `"` and `\` escaped, control characters as the short
    /// escapes `\b \t \n \f \r` or `\u00xx` (lower-case hex); everything else as raw UTF-8.
    mutating func string(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        var contiguous = value
        contiguous.withUTF8 { buffer in
            for byte in buffer { appendEscaped(byte) }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func appendEscaped(_ byte: UInt8) {
        switch byte {
        case UInt8(ascii: "\""): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
        case UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
        case 0x08: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "b")]
        case 0x09: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
        case 0x0A: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
        case 0x0C: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "f")]
        case 0x0D: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
        case 0x00..<0x20:
            bytes += [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                      CanonicalJSONWriter.hexDigits[Int(byte >> 4)], CanonicalJSONWriter.hexDigits[Int(byte & 0x0F)]]
        default: bytes.append(byte)
        }
    }

    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Lower-case hex of `value`.
    static func appendHex(_ value: [UInt8], to out: inout [UInt8]) {
        for byte in value {
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 0x0F)])
        }
    }
}
