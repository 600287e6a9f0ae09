// RFC 7512 "pkcs11:" URIs, the standard way to name a token or key in configuration
// (e.g. `pkcs11:token=persona;object=did-key;type=private?pin-source=/run/secrets/pin`).
// Only the attributes this service uses are interpreted; unknown path attributes are an error so
// a typo cannot silently match every token, unknown query attributes are ignored as the RFC says.

/// A parsed RFC 7512 PKCS#11 URI.
public struct PKCS11URI: Sendable, Hashable, CustomStringConvertible {
    public var token: String?
    public var manufacturer: String?
    public var serial: String?
    public var model: String?
    public var slotID: UInt?
    public var object: String?
    /// CKA_ID bytes.
    public var id: [UInt8]?
    /// `private`, `public`, `secret-key`, `cert` or `data`.
    public var type: String?
    /// Path or file: URI of a file holding the PIN.
    public var pinSource: String?
    /// Path of the module library.
    public var modulePath: String?

    private static let pathKeys: Set<String> = [
        "token", "manufacturer", "serial", "model", "slot-id", "object", "id", "type",
        "library-manufacturer", "library-description", "library-version", "slot-description",
        "slot-manufacturer",
    ]

    /// Parses `text`.
    /// - Throws: `.invalidArgument` for a wrong scheme, bad percent-encoding, an unknown path
    ///   attribute, a repeated attribute or `pin-value` (PINs never go in URIs here).
    public init(_ text: String) throws(PKCS11Error) {
        func fail(_ why: String) -> PKCS11Error {
            PKCS11Error(code: .invalidArgument, function: "PKCS11URI", message: "\(why) in \"\(text)\"")
        }
        guard text.lowercased().hasPrefix("pkcs11:") else { throw fail("not a pkcs11: URI") }
        let rest = text.dropFirst(7)
        let parts = rest.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var seen = Set<String>()
        for (index, section) in parts.enumerated() {
            let separator: Character = index == 0 ? ";" : "&"
            for pair in section.split(separator: separator) {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard kv.count == 2, !kv[0].isEmpty else { throw fail("malformed attribute \"\(pair)\"") }
                let key = String(kv[0]).lowercased()
                guard let raw = PKCS11URI.percentDecode(kv[1]) else { throw fail("bad percent-encoding") }
                guard seen.insert(key).inserted else { throw fail("repeated attribute \(key)") }
                let value = String(decoding: raw, as: UTF8.self)
                if index == 0 {
                    guard PKCS11URI.pathKeys.contains(key) else { throw fail("unknown attribute \(key)") }
                    switch key {
                    case "token": token = value
                    case "manufacturer": manufacturer = value
                    case "serial": serial = value
                    case "model": model = value
                    case "slot-id":
                        guard let n = UInt(value) else { throw fail("slot-id is not a number") }
                        slotID = n
                    case "object": object = value
                    case "id": id = raw
                    case "type":
                        guard ["private", "public", "secret-key", "cert", "data"].contains(value) else {
                            throw fail("unknown type \(value)")
                        }
                        type = value
                    default: break
                    }
                } else {
                    switch key {
                    case "pin-source": pinSource = value
                    case "module-path": modulePath = value
                    case "pin-value": throw fail("pin-value is refused: use pin-source")
                    default: break
                    }
                }
            }
        }
    }

    static func percentDecode(_ text: Substring) -> [UInt8]? {
        var out: [UInt8] = []
        var bytes = Array(text.utf8)[...]
        while let b = bytes.popFirst() {
            if b == UInt8(ascii: "%") {
                guard bytes.count >= 2, let hi = hexValue(bytes.popFirst()!), let lo = hexValue(bytes.popFirst()!) else {
                    return nil
                }
                out.append(hi << 4 | lo)
            } else {
                out.append(b)
            }
        }
        return out
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Whether every token attribute present in the URI equals the token's.
    public func matches(token t: Token) -> Bool {
        if let token, token != t.info.label { return false }
        if let manufacturer, manufacturer != t.info.manufacturer { return false }
        if let serial, serial != t.info.serialNumber { return false }
        if let model, model != t.info.model { return false }
        if let slotID, slotID != t.slot { return false }
        return t.info.isInitialized
    }

    public var description: String {
        var path: [String] = []
        func enc(_ s: String) -> String {
            s.utf8.map { b in
                let c = Character(UnicodeScalar(b))
                return (c.isLetter || c.isNumber || "-._~".contains(c)) && b < 0x80
                    ? String(c) : "%" + String(format2: b)
            }.joined()
        }
        if let token { path.append("token=\(enc(token))") }
        if let manufacturer { path.append("manufacturer=\(enc(manufacturer))") }
        if let serial { path.append("serial=\(enc(serial))") }
        if let model { path.append("model=\(enc(model))") }
        if let slotID { path.append("slot-id=\(slotID)") }
        if let object { path.append("object=\(enc(object))") }
        if let id { path.append("id=" + id.map { "%" + String(format2: $0) }.joined()) }
        if let type { path.append("type=\(type)") }
        var query: [String] = []
        if let pinSource { query.append("pin-source=\(enc(pinSource))") }
        if let modulePath { query.append("module-path=\(enc(modulePath))") }
        return "pkcs11:" + path.joined(separator: ";") + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
    }
}

extension String {
    /// Two upper-case hex digits.
    init(format2 byte: UInt8) {
        let digits = Array("0123456789ABCDEF")
        self = String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
    }
}
