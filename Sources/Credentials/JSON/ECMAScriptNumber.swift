// Numbers in canonical JSON are written as ECMAScript's Number.prototype.toString does
// (ECMA-262 Number::toString, required by RFC 8785 §3.2.2.3): the shortest digit string that
// round-trips, in plain notation for decimal exponents -6 < n <= 21, otherwise d.ddde±x. The
// shortest round-trip digits come from Swift's own `description` (correctly rounded, shortest,
// closest); only the layout rules are implemented here.

enum ECMAScriptNumber {
    /// Appends the ECMAScript text of `value`.
    ///
    /// - Throws: ``JSONError`` (`nonFiniteNumber`) for NaN and infinities.
    static func append(_ value: Double, to output: inout [UInt8]) throws(JSONError) {
        guard value.isFinite else {
            throw JSONError(.nonFiniteNumber, "\(value) cannot be represented in JSON", offset: nil)
        }
        if value == 0 {  // +0 and -0
            output.append(UInt8(ascii: "0"))
            return
        }
        var magnitude = value
        if value < 0 {
            output.append(UInt8(ascii: "-"))
            magnitude = -value
        }
        // Fast path: integers below 2^53 print as their digits.
        if magnitude < 9_007_199_254_740_992, magnitude == magnitude.rounded(.towardZero) {
            output.append(contentsOf: String(UInt64(magnitude)).utf8)
            return
        }
        let (digits, exponent) = shortestDigits(magnitude)
        layout(digits: digits, n: exponent, into: &output)
    }

    /// The shortest round-trip decimal digits `s` (no leading/trailing zeros) and `n` such that
    /// the value is 0.s × 10^n.
    static func shortestDigits(_ magnitude: Double) -> (digits: [UInt8], n: Int) {
        // Swift prints e.g. "1.2345e-07", "5e-324", "123.45", "1e+16".
        let text = Array(magnitude.description.utf8)
        var mantissa = text[...]
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
            mantissa = text[..<e]
            var sign = 1
            var index = e + 1
            if text[index] == UInt8(ascii: "-") { sign = -1; index += 1 } else if text[index] == UInt8(ascii: "+") { index += 1 }
            var value = 0
            while index < text.count { value = value * 10 + Int(text[index] - UInt8(ascii: "0")); index += 1 }
            exponent = sign * value
        }
        var digits: [UInt8] = []
        digits.reserveCapacity(20)
        var pointPosition: Int? = nil
        for byte in mantissa {
            if byte == UInt8(ascii: ".") { pointPosition = digits.count } else { digits.append(byte) }
        }
        var n = (pointPosition ?? digits.count) + exponent
        var leading = 0
        while leading < digits.count - 1, digits[leading] == UInt8(ascii: "0") { leading += 1 }
        n -= leading
        digits.removeFirst(leading)
        while digits.count > 1, digits.last == UInt8(ascii: "0") { digits.removeLast() }
        return (digits, n)
    }

    /// ECMA-262 Number::toString steps 6–10 for k = digits.count.
    static func layout(digits: [UInt8], n: Int, into output: inout [UInt8]) {
        let k = digits.count
        if k <= n && n <= 21 {
            output.append(contentsOf: digits)
            output.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: n - k))
        } else if 0 < n && n <= 21 {
            output.append(contentsOf: digits[..<n])
            output.append(UInt8(ascii: "."))
            output.append(contentsOf: digits[n...])
        } else if -6 < n && n <= 0 {
            output.append(contentsOf: [UInt8(ascii: "0"), UInt8(ascii: ".")])
            output.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: -n))
            output.append(contentsOf: digits)
        } else {
            output.append(digits[0])
            if k > 1 {
                output.append(UInt8(ascii: "."))
                output.append(contentsOf: digits[1...])
            }
            output.append(UInt8(ascii: "e"))
            output.append(n - 1 >= 0 ? UInt8(ascii: "+") : UInt8(ascii: "-"))
            output.append(contentsOf: String(abs(n - 1)).utf8)
        }
    }
}
