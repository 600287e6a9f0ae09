// The little DER this layer needs: writing SubjectPublicKeyInfo and ECDSA signatures, and reading
// the OCTET STRING some modules wrap around CKA_EC_POINT. A full ASN.1 library would be more than
// we use; every reader here checks lengths exactly and rejects trailing bytes.

enum DER {
    static func length(_ n: Int) -> [UInt8] {
        if n < 0x80 { return [UInt8(n)] }
        var bytes: [UInt8] = []
        var v = n
        while v > 0 { bytes.insert(UInt8(v & 0xFF), at: 0); v >>= 8 }
        return [0x80 | UInt8(bytes.count)] + bytes
    }

    static func tlv(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] { [tag] + length(content.count) + content }
    static func sequence(_ parts: [UInt8]...) -> [UInt8] { tlv(0x30, parts.flatMap { $0 }) }
    static func bitString(_ content: [UInt8]) -> [UInt8] { tlv(0x03, [0] + content) }
    static func octetString(_ content: [UInt8]) -> [UInt8] { tlv(0x04, content) }
    static let null: [UInt8] = [0x05, 0x00]

    /// A non-negative INTEGER from big-endian magnitude bytes.
    static func unsignedInteger(_ magnitude: [UInt8]) -> [UInt8] {
        var m = Array(magnitude.drop(while: { $0 == 0 }))
        if m.isEmpty { m = [0] }
        if m[0] & 0x80 != 0 { m.insert(0, at: 0) }
        return tlv(0x02, m)
    }

    /// Reads one TLV at the start of `bytes`; returns tag, content and the bytes after it.
    static func read(_ bytes: ArraySlice<UInt8>) -> (tag: UInt8, content: ArraySlice<UInt8>, rest: ArraySlice<UInt8>)? {
        guard bytes.count >= 2 else { return nil }
        let tag = bytes[bytes.startIndex]
        var i = bytes.startIndex + 1
        var len = Int(bytes[i]); i += 1
        if len & 0x80 != 0 {
            let n = len & 0x7F
            guard n >= 1, n <= 3, bytes.endIndex - i >= n else { return nil }
            len = 0
            for _ in 0..<n { len = len << 8 | Int(bytes[i]); i += 1 }
            guard len >= 0x80 else { return nil }  // not minimal
        }
        guard bytes.endIndex - i >= len else { return nil }
        return (tag, bytes[i..<i + len], bytes[(i + len)...])
    }

    /// The content of `bytes` when it is exactly one TLV with `tag`.
    static func single(_ tag: UInt8, in bytes: [UInt8]) -> [UInt8]? {
        guard let (t, content, rest) = read(bytes[...]), t == tag, rest.isEmpty else { return nil }
        return Array(content)
    }
}

/// Conversions between the two ECDSA signature encodings.
public enum ECDSASignatureEncoding {
    /// DER `SEQUENCE { INTEGER r, INTEGER s }` from raw `r‖s` (as PKCS#11 CKM_ECDSA returns).
    /// - Throws: `.invalidArgument` when `raw` has an odd or zero length.
    public static func der(fromRaw raw: [UInt8]) throws(PKCS11Error) -> [UInt8] {
        guard !raw.isEmpty, raw.count % 2 == 0 else {
            throw PKCS11Error(code: .invalidArgument, function: "ECDSASignatureEncoding.der",
                              message: "raw signature of \(raw.count) bytes")
        }
        let half = raw.count / 2
        return DER.sequence(DER.unsignedInteger(Array(raw[..<half])), DER.unsignedInteger(Array(raw[half...])))
    }

    /// Raw `r‖s`, each padded to `componentLength` bytes, from a DER signature.
    /// - Throws: `.invalidArgument` on malformed DER or components too long.
    public static func raw(fromDER der: [UInt8], componentLength: Int = 32) throws(PKCS11Error) -> [UInt8] {
        let fail = PKCS11Error(code: .invalidArgument, function: "ECDSASignatureEncoding.raw", message: "bad DER signature")
        guard let body = DER.single(0x30, in: der), let (t1, r, rest1) = DER.read(body[...]), t1 == 0x02,
              let (t2, s, rest2) = DER.read(rest1), t2 == 0x02, rest2.isEmpty else { throw fail }
        var out: [UInt8] = []
        for component in [r, s] {
            let magnitude = Array(component.drop(while: { $0 == 0 }))
            guard magnitude.count <= componentLength else { throw fail }
            out += [UInt8](repeating: 0, count: componentLength - magnitude.count) + magnitude
        }
        return out
    }
}
