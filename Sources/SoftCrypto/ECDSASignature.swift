// ECDSA signatures come in two encodings: raw r‖s (IEEE P1363; what PKCS#11 CKM_ECDSA returns and
// what JWS ES256 carries) and DER (what X.509, TLS and OpenSSL use). Converting is easy to get
// subtly wrong, and lenient DER parsing is a classic malleability bug, so this parser accepts
// exactly one DER encoding per (r, s): minimal lengths, minimal positive integers, nothing after.

/// An ECDSA P-256 signature as its two integers.
public struct ECDSASignature: Hashable, Sendable {
    /// How the signature bytes are encoded.
    public enum Format: Hashable, Sendable, CustomStringConvertible {
        /// Raw `r ‖ s`, each left-padded to 32 bytes (IEEE P1363, JWS ES256, PKCS#11).
        case raw
        /// DER `SEQUENCE { INTEGER r, INTEGER s }` (X.509, OpenSSL).
        case der

        public var description: String { self == .raw ? "raw" : "DER" }
    }

    /// Size of each scalar for P-256.
    public static let scalarSize = 32

    /// `r`, 32 bytes big-endian.
    public let r: [UInt8]
    /// `s`, 32 bytes big-endian.
    public let s: [UInt8]

    /// A signature from its 64-byte raw encoding.
    ///
    /// - Throws: ``CryptoError/Code/invalidSignatureEncoding`` unless exactly 64 bytes.
    public init(rawRepresentation raw: [UInt8]) throws(CryptoError) {
        guard raw.count == 2 * Self.scalarSize else {
            throw CryptoError(.invalidSignatureEncoding, "a raw P-256 signature is 64 bytes, got \(raw.count)")
        }
        r = Array(raw[..<Self.scalarSize])
        s = Array(raw[Self.scalarSize...])
    }

    /// A signature from strict DER.
    ///
    /// - Throws: ``CryptoError/Code/invalidSignatureEncoding`` for anything but the one canonical
    ///   DER encoding of two positive integers of at most 32 significant bytes.
    public init(derRepresentation der: [UInt8]) throws(CryptoError) {
        var reader = StrictDERReader(der)
        var sequence = try reader.readElement(tag: 0x30)
        guard reader.isAtEnd else { throw .init(.invalidSignatureEncoding, "bytes after the DER signature") }
        let r = try sequence.readPositiveInteger()
        let s = try sequence.readPositiveInteger()
        guard sequence.isAtEnd else { throw .init(.invalidSignatureEncoding, "extra elements in the DER signature") }
        guard r.count <= Self.scalarSize, s.count <= Self.scalarSize else {
            throw .init(.invalidSignatureEncoding, "a DER signature integer is longer than 32 bytes")
        }
        self.r = [UInt8](repeating: 0, count: Self.scalarSize - r.count) + r
        self.s = [UInt8](repeating: 0, count: Self.scalarSize - s.count) + s
    }

    /// A signature from bytes in `format`.
    public init(_ bytes: [UInt8], format: Format) throws(CryptoError) {
        switch format {
        case .raw: try self.init(rawRepresentation: bytes)
        case .der: try self.init(derRepresentation: bytes)
        }
    }

    /// The 64-byte raw encoding.
    public var rawRepresentation: [UInt8] { r + s }

    /// The canonical DER encoding.
    public var derRepresentation: [UInt8] {
        let body = Self.derInteger(r) + Self.derInteger(s)
        return [0x30] + Self.derLength(body.count) + body
    }

    /// The encoding in `format`.
    public func representation(_ format: Format) -> [UInt8] {
        format == .raw ? rawRepresentation : derRepresentation
    }

    private static func derInteger(_ magnitude: [UInt8]) -> [UInt8] {
        var value = Array(magnitude.drop(while: { $0 == 0 }))
        if value.isEmpty { value = [0] } else if value[0] & 0x80 != 0 { value.insert(0, at: 0) }
        return [0x02] + derLength(value.count) + value
    }

    private static func derLength(_ length: Int) -> [UInt8] {
        length < 0x80 ? [UInt8(length)] : [0x81, UInt8(length)]
    }
}
