// RFC 8785 sorts member names by their UTF-16 code units, as ECMAScript does. Swift strings are
// UTF-8, whose byte order equals Unicode scalar order; the two orders differ only between a
// scalar in U+E000…U+FFFF and a supplementary scalar (U+10000 and up, which UTF-16 writes with
// surrogates D800…DFFF, below E000). So compare bytes, and at the first difference compare the
// two scalars by their leading UTF-16 code unit.

enum UTF16Order {
    /// Whether `a` sorts before `b` by UTF-16 code units.
    static func precedes(_ a: String, _ b: String) -> Bool {
        var a = a, b = b
        return a.withUTF8 { x in b.withUTF8 { y in precedes(x, y) } }
    }

    static func precedes(_ x: UnsafeBufferPointer<UInt8>, _ y: UnsafeBufferPointer<UInt8>) -> Bool {
        let common = min(x.count, y.count)
        var index = 0
        while index < common, x[index] == y[index] { index += 1 }
        if index == common { return x.count < y.count }
        // Both differ inside the scalar that starts at the last non-continuation byte.
        var start = index
        while start > 0, x[start] & 0xC0 == 0x80 { start -= 1 }
        let scalarX = decode(x, at: start), scalarY = decode(y, at: start)
        let unitX = leadingUnit(scalarX), unitY = leadingUnit(scalarY)
        if unitX != unitY { return unitX < unitY }
        return scalarX < scalarY  // same high surrogate: low surrogates follow scalar order
    }

    private static func leadingUnit(_ scalar: UInt32) -> UInt32 {
        scalar < 0x10000 ? scalar : 0xD800 + ((scalar - 0x10000) >> 10)
    }

    /// Decodes the (well-formed) UTF-8 scalar starting at `index`.
    private static func decode(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> UInt32 {
        let lead = UInt32(bytes[index])
        func next(_ k: Int) -> UInt32 { UInt32(bytes[index + k] & 0x3F) }
        switch lead {
        case 0..<0x80: return lead
        case 0xC0..<0xE0: return (lead & 0x1F) << 6 | next(1)
        case 0xE0..<0xF0: return (lead & 0x0F) << 12 | next(1) << 6 | next(2)
        default: return (lead & 0x07) << 18 | next(1) << 12 | next(2) << 6 | next(3)
        }
    }
}
