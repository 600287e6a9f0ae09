// String tokens: the common case (no escapes) is validated and copied in one step; escapes go
// through a scratch buffer. \u escapes must pair surrogates correctly — a lone surrogate has no
// Unicode scalar value, cannot be represented in UTF-8 output, and would make two
// canonicalizers disagree, so it is an error.

extension JSONReader {
    mutating func parseString() throws(JSONError) -> String {
        position += 1  // opening quote
        let start = position
        while position < input.count {
            let byte = input[position]
            if byte == UInt8(ascii: "\"") {
                let text = try makeString(UnsafeBufferPointer(rebasing: input[start..<position]), rawStart: start)
                position += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { return try parseEscapedString(from: start) }
            if byte < 0x20 { throw controlCharacter() }
            position += 1
        }
        throw JSONError(.unexpectedEnd, "unterminated string", offset: start - 1)
    }

    private func controlCharacter() -> JSONError {
        JSONError(.controlCharacter, "unescaped control character 0x\(String(input[position], radix: 16)) in a string",
                  offset: position)
    }

    private func makeString(_ bytes: UnsafeBufferPointer<UInt8>, rawStart: Int) throws(JSONError) -> String {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        let bad = rawStart + (firstInvalidUTF8(UnsafeBufferPointer(rebasing: input[rawStart..<position])) ?? 0)
        throw JSONError(.invalidUTF8, "invalid UTF-8 in a string", offset: bad)
    }

    private mutating func parseEscapedString(from start: Int) throws(JSONError) -> String {
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: input[start..<position]))
        while position < input.count {
            let byte = input[position]
            switch byte {
            case UInt8(ascii: "\""):
                let text = String(validating: scratch, as: UTF8.self)
                guard let text else {
                    let bad = start + (firstInvalidUTF8(UnsafeBufferPointer(rebasing: input[start..<position])) ?? 0)
                    throw JSONError(.invalidUTF8, "invalid UTF-8 in a string", offset: bad)
                }
                position += 1
                return text
            case UInt8(ascii: "\\"):
                try parseEscape()
            case 0..<0x20:
                throw controlCharacter()
            default:
                scratch.append(byte)
                position += 1
            }
        }
        throw JSONError(.unexpectedEnd, "unterminated string", offset: start - 1)
    }

    /// Decodes one escape at `position` (a backslash) into `scratch`.
    private mutating func parseEscape() throws(JSONError) {
        let escapeOffset = position
        guard position + 1 < input.count else {
            throw JSONError(.unexpectedEnd, "unterminated escape", offset: escapeOffset)
        }
        let code = input[position + 1]
        position += 2
        switch code {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scratch.append(code)
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
            let unit = try readHex4(escapeOffset: escapeOffset)
            var scalar: UInt32
            switch unit {
            case 0xD800...0xDBFF:
                guard position + 1 < input.count, input[position] == UInt8(ascii: "\\"),
                      input[position + 1] == UInt8(ascii: "u") else {
                    throw JSONError(.loneSurrogate, "high surrogate \\u\(String(unit, radix: 16)) not followed by a low surrogate",
                                    offset: escapeOffset)
                }
                position += 2
                let low = try readHex4(escapeOffset: position - 2)
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw JSONError(.loneSurrogate, "high surrogate \\u\(String(unit, radix: 16)) not followed by a low surrogate",
                                    offset: escapeOffset)
                }
                scalar = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
            case 0xDC00...0xDFFF:
                throw JSONError(.loneSurrogate, "low surrogate \\u\(String(unit, radix: 16)) without a high surrogate",
                                offset: escapeOffset)
            default:
                scalar = unit
            }
            appendUTF8(scalar)
        default:
            throw JSONError(.invalidEscape, "invalid escape sequence", offset: escapeOffset)
        }
    }

    private mutating func readHex4(escapeOffset: Int) throws(JSONError) -> UInt32 {
        guard input.count - position >= 4 else {
            throw JSONError(.invalidEscape, "\\u needs four hex digits", offset: escapeOffset)
        }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let char = input[position]
            let digit: UInt8
            switch char {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = char - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = char - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = char - UInt8(ascii: "A") + 10
            default: throw JSONError(.invalidEscape, "\\u needs four hex digits", offset: escapeOffset)
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }

    private mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case 0..<0x80:
            scratch.append(UInt8(scalar))
        case 0x80..<0x800:
            scratch.append(UInt8(0xC0 | scalar >> 6))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            scratch.append(UInt8(0xE0 | scalar >> 12))
            scratch.append(UInt8(0x80 | (scalar >> 6) & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        default:
            scratch.append(UInt8(0xF0 | scalar >> 18))
            scratch.append(UInt8(0x80 | (scalar >> 12) & 0x3F))
            scratch.append(UInt8(0x80 | (scalar >> 6) & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        }
    }
}

/// Offset of the first byte that is not part of well-formed UTF-8 (RFC 3629: no overlongs, no
/// surrogates, nothing above U+10FFFF), or nil if all is well-formed.
func firstInvalidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
    var index = 0
    while index < bytes.count {
        let lead = bytes[index]
        if lead < 0x80 { index += 1; continue }
        let length: Int, lowest: UInt8, highest: UInt8
        switch lead {
        case 0xC2...0xDF: length = 2; lowest = 0x80; highest = 0xBF
        case 0xE0: length = 3; lowest = 0xA0; highest = 0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3; lowest = 0x80; highest = 0xBF
        case 0xED: length = 3; lowest = 0x80; highest = 0x9F
        case 0xF0: length = 4; lowest = 0x90; highest = 0xBF
        case 0xF1...0xF3: length = 4; lowest = 0x80; highest = 0xBF
        case 0xF4: length = 4; lowest = 0x80; highest = 0x8F
        default: return index
        }
        guard bytes.count - index >= length else { return index }
        guard bytes[index + 1] >= lowest, bytes[index + 1] <= highest else { return index }
        for offset in 2..<length where bytes[index + offset] & 0xC0 != 0x80 { return index }
        index += length
    }
    return nil
}
