// Typed PKCS#11 attributes. Templates are built from Swift values and laid out in one scoped memory
// block only for the duration of a call, so no CK_ATTRIBUTE ever outlives the bytes it points at and
// no C type leaks into the public API.

import CPKCS11

/// A CKA_* attribute type.
public struct AttributeType: RawRepresentable, Hashable, Sendable {
    public let rawValue: UInt
    public init(rawValue: UInt) { self.rawValue = rawValue }

    public static let objectClass = AttributeType(rawValue: UInt(CKA_CLASS))
    public static let token = AttributeType(rawValue: UInt(CKA_TOKEN))
    public static let `private` = AttributeType(rawValue: UInt(CKA_PRIVATE))
    public static let label = AttributeType(rawValue: UInt(CKA_LABEL))
    public static let application = AttributeType(rawValue: UInt(CKA_APPLICATION))
    public static let value = AttributeType(rawValue: UInt(CKA_VALUE))
    public static let keyType = AttributeType(rawValue: UInt(CKA_KEY_TYPE))
    public static let id = AttributeType(rawValue: UInt(CKA_ID))
    public static let sensitive = AttributeType(rawValue: UInt(CKA_SENSITIVE))
    public static let encrypt = AttributeType(rawValue: UInt(CKA_ENCRYPT))
    public static let decrypt = AttributeType(rawValue: UInt(CKA_DECRYPT))
    public static let wrap = AttributeType(rawValue: UInt(CKA_WRAP))
    public static let unwrap = AttributeType(rawValue: UInt(CKA_UNWRAP))
    public static let sign = AttributeType(rawValue: UInt(CKA_SIGN))
    public static let verify = AttributeType(rawValue: UInt(CKA_VERIFY))
    public static let derive = AttributeType(rawValue: UInt(CKA_DERIVE))
    public static let modulus = AttributeType(rawValue: UInt(CKA_MODULUS))
    public static let modulusBits = AttributeType(rawValue: UInt(CKA_MODULUS_BITS))
    public static let publicExponent = AttributeType(rawValue: UInt(CKA_PUBLIC_EXPONENT))
    public static let privateExponent = AttributeType(rawValue: UInt(CKA_PRIVATE_EXPONENT))
    public static let prime1 = AttributeType(rawValue: UInt(CKA_PRIME_1))
    public static let prime2 = AttributeType(rawValue: UInt(CKA_PRIME_2))
    public static let exponent1 = AttributeType(rawValue: UInt(CKA_EXPONENT_1))
    public static let exponent2 = AttributeType(rawValue: UInt(CKA_EXPONENT_2))
    public static let coefficient = AttributeType(rawValue: UInt(CKA_COEFFICIENT))
    public static let valueLength = AttributeType(rawValue: UInt(CKA_VALUE_LEN))
    public static let extractable = AttributeType(rawValue: UInt(CKA_EXTRACTABLE))
    public static let neverExtractable = AttributeType(rawValue: UInt(CKA_NEVER_EXTRACTABLE))
    public static let alwaysSensitive = AttributeType(rawValue: UInt(CKA_ALWAYS_SENSITIVE))
    public static let local = AttributeType(rawValue: UInt(CKA_LOCAL))
    public static let modifiable = AttributeType(rawValue: UInt(CKA_MODIFIABLE))
    public static let ecParams = AttributeType(rawValue: UInt(CKA_EC_PARAMS))
    public static let ecPoint = AttributeType(rawValue: UInt(CKA_EC_POINT))
}

/// A CKO_* object class.
public struct ObjectClass: RawRepresentable, Hashable, Sendable {
    public let rawValue: UInt
    public init(rawValue: UInt) { self.rawValue = rawValue }
    public static let data = ObjectClass(rawValue: UInt(CKO_DATA))
    public static let publicKey = ObjectClass(rawValue: UInt(CKO_PUBLIC_KEY))
    public static let privateKey = ObjectClass(rawValue: UInt(CKO_PRIVATE_KEY))
    public static let secretKey = ObjectClass(rawValue: UInt(CKO_SECRET_KEY))
}

/// A CKK_* key type.
public struct KeyType: RawRepresentable, Hashable, Sendable {
    public let rawValue: UInt
    public init(rawValue: UInt) { self.rawValue = rawValue }
    public static let rsa = KeyType(rawValue: UInt(CKK_RSA))
    public static let ec = KeyType(rawValue: UInt(CKK_EC))
    /// CKK_EC_EDWARDS (0x40) in PKCS#11 3.0.
    public static let ecEdwards = KeyType(rawValue: 0x40)
    public static let aes = KeyType(rawValue: UInt(CKK_AES))
    public static let genericSecret = KeyType(rawValue: UInt(CKK_GENERIC_SECRET))
}

/// One attribute: a type and the bytes Cryptoki sees.
public struct Attribute: Sendable, Hashable {
    public let type: AttributeType
    public let value: [UInt8]

    public init(_ type: AttributeType, bytes: [UInt8]) {
        self.type = type
        self.value = bytes
    }

    /// A CK_BBOOL attribute.
    public static func bool(_ type: AttributeType, _ flag: Bool) -> Attribute {
        Attribute(type, bytes: [flag ? 1 : 0])
    }

    /// A CK_ULONG attribute, in the platform's native byte order as Cryptoki expects.
    public static func ulong(_ type: AttributeType, _ number: UInt) -> Attribute {
        Attribute(type, bytes: withUnsafeBytes(of: CK_ULONG(number)) { Array($0) })
    }

    /// A byte-string attribute.
    public static func bytes(_ type: AttributeType, _ bytes: [UInt8]) -> Attribute { Attribute(type, bytes: bytes) }

    /// A UTF-8 string attribute (labels, applications).
    public static func string(_ type: AttributeType, _ text: String) -> Attribute {
        Attribute(type, bytes: Array(text.utf8))
    }

    public static func objectClass(_ c: ObjectClass) -> Attribute { .ulong(.objectClass, c.rawValue) }
    public static func keyType(_ k: KeyType) -> Attribute { .ulong(.keyType, k.rawValue) }
}

extension [Attribute] {
    /// Lays the template out in one temporary block and calls `body` with it.
    func withCTemplate<R>(_ body: (UnsafeMutablePointer<CK_ATTRIBUTE>?, CK_ULONG) -> R) -> R {
        let total = reduce(0) { $0 + $1.value.count }
        return withUnsafeTemporaryAllocation(of: CK_ATTRIBUTE.self, capacity: Swift.max(count, 1)) { attrs in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Swift.max(total, 1)) { storage in
                var offset = 0
                for (i, attribute) in enumerated() {
                    let start = storage.baseAddress! + offset
                    attribute.value.withUnsafeBufferPointer { src in
                        if let base = src.baseAddress { start.initialize(from: base, count: src.count) }
                    }
                    attrs[i] = CK_ATTRIBUTE(type: CK_ATTRIBUTE_TYPE(attribute.type.rawValue),
                                            pValue: UnsafeMutableRawPointer(start),
                                            ulValueLen: CK_ULONG(attribute.value.count))
                    offset += attribute.value.count
                }
                return body(attrs.baseAddress, CK_ULONG(count))
            }
        }
    }
}

/// Decodes a CK_ULONG attribute value.
func decodeULong(_ bytes: [UInt8]) -> UInt? {
    guard bytes.count == MemoryLayout<CK_ULONG>.size else { return nil }
    return UInt(bytes.withUnsafeBytes { $0.loadUnaligned(as: CK_ULONG.self) })
}
