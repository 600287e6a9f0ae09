// Number tokens, checked against the RFC 8259 grammar and converted to the nearest double
// (I-JSON). Short integers take an exact fast path; everything else goes through the standard
// library's correctly rounded, locale-independent decimal conversion.

extension JSONReader {
    mutating func parseNumber() throws(JSONError) -> Double {
        let start = position
        var negative = false
        if input[position] == UInt8(ascii: "-") {
            negative = true
            position += 1
        }
        let integerStart = position
        guard position < input.count, isDigit(input[position]) else {
            throw JSONError(.invalidNumber, "a number needs digits after '-'", offset: start)
        }
        if input[position] == UInt8(ascii: "0") {
            position += 1
            if position < input.count, isDigit(input[position]) {
                throw JSONError(.invalidNumber, "leading zeros are not allowed", offset: start)
            }
        } else {
            while position < input.count, isDigit(input[position]) { position += 1 }
        }
        let integerDigits = position - integerStart
        var isInteger = true
        if position < input.count, input[position] == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            guard position < input.count, isDigit(input[position]) else {
                throw JSONError(.invalidNumber, "a fraction needs digits after '.'", offset: start)
            }
            while position < input.count, isDigit(input[position]) { position += 1 }
        }
        if position < input.count, input[position] == UInt8(ascii: "e") || input[position] == UInt8(ascii: "E") {
            isInteger = false
            position += 1
            if position < input.count, input[position] == UInt8(ascii: "+") || input[position] == UInt8(ascii: "-") {
                position += 1
            }
            guard position < input.count, isDigit(input[position]) else {
                throw JSONError(.invalidNumber, "an exponent needs digits", offset: start)
            }
            while position < input.count, isDigit(input[position]) { position += 1 }
        }
        if isInteger, integerDigits <= 15 {
            // Exact: every integer below 10^15 is representable.
            var value: Int64 = 0
            for index in integerStart..<position { value = value * 10 + Int64(input[index] - UInt8(ascii: "0")) }
            return negative ? -Double(value) : Double(value)
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: input[start..<position]), as: UTF8.self)
        guard let value = Double(text), value.isFinite else {
            throw JSONError(.numberOutOfRange, "number \(text) is outside the range of a double", offset: start)
        }
        return value
    }

    @inline(__always)
    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
}
