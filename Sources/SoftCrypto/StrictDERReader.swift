// The few DER structures this module parses (ECDSA signatures) must be read with exactly one
// accepted encoding each: BER leniency (long-form or indefinite lengths, padded or negative
// integers, trailing bytes) is how signature malleability and parser-differential bugs start.

/// A cursor over DER that refuses every non-canonical form.
struct StrictDERReader {
    private let bytes: [UInt8]
    private var position: Int
    private let end: Int

    init(_ bytes: [UInt8]) { self.init(bytes, from: 0, to: bytes.count) }
    private init(_ bytes: [UInt8], from: Int, to: Int) { self.bytes = bytes; position = from; end = to }

    var isAtEnd: Bool { position == end }

    /// Reads one element with `tag` and returns a reader over its contents.
    mutating func readElement(tag: UInt8) throws(CryptoError) -> StrictDERReader {
        guard position < end, bytes[position] == tag else {
            throw .init(.invalidSignatureEncoding, "expected DER tag 0x\(String(tag, radix: 16))")
        }
        position += 1
        guard position < end else { throw .init(.invalidSignatureEncoding, "truncated DER length") }
        let first = bytes[position]
        position += 1
        var length = 0
        if first < 0x80 {
            length = Int(first)
        } else {
            let count = Int(first & 0x7F)
            // 0x80 is BER indefinite length; more than 2 length bytes is absurd for a signature.
            guard count >= 1, count <= 2, end - position >= count else {
                throw .init(.invalidSignatureEncoding, "unsupported or truncated DER length")
            }
            for _ in 0..<count { length = length << 8 | Int(bytes[position]); position += 1 }
            guard bytes[position - count] != 0, length >= 0x80 else {
                throw .init(.invalidSignatureEncoding, "non-minimal DER length")
            }
        }
        guard end - position >= length else { throw .init(.invalidSignatureEncoding, "truncated DER element") }
        let inner = StrictDERReader(bytes, from: position, to: position + length)
        position += length
        return inner
    }

    /// Reads an INTEGER that must be positive and minimally encoded; returns its magnitude.
    mutating func readPositiveInteger() throws(CryptoError) -> [UInt8] {
        let element = try readElement(tag: 0x02)
        let content = Array(element.bytes[element.position..<element.end])
        guard let first = content.first else { throw .init(.invalidSignatureEncoding, "empty DER integer") }
        guard first & 0x80 == 0 else { throw .init(.invalidSignatureEncoding, "negative DER integer") }
        if first == 0 {
            guard content.count > 1, content[1] & 0x80 != 0 else {
                throw .init(.invalidSignatureEncoding, content.count == 1 ? "zero DER integer" : "non-minimal DER integer")
            }
            return Array(content.dropFirst())
        }
        return content
    }
}
