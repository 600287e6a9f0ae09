// The JSON value model for credentials. It keeps exactly what JCS (RFC 8785) and signature
// checks need: object members in input order with their keys as written, numbers as I-JSON
// doubles, and strings compared by their Unicode scalars. Swift's `String ==` treats canonically
// equivalent strings as equal ("é" precomposed == "e" + combining acute), which would merge two
// distinct JSON keys, so no comparison in this module uses it.

/// A JSON value.
public enum JSONValue: Sendable, CustomStringConvertible {
    case null
    case bool(Bool)
    /// A number as its IEEE-754 double (I-JSON, RFC 7493); integers above 2^53 lose precision.
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// The string, if this is a string.
    public var stringValue: String? { if case .string(let value) = self { return value } else { return nil } }
    /// The object, if this is an object.
    public var objectValue: JSONObject? { if case .object(let value) = self { return value } else { return nil } }
    /// The elements, if this is an array.
    public var arrayValue: [JSONValue]? { if case .array(let value) = self { return value } else { return nil } }
    /// The number, if this is a number.
    public var numberValue: Double? { if case .number(let value) = self { return value } else { return nil } }
    /// The boolean, if this is a boolean.
    public var boolValue: Bool? { if case .bool(let value) = self { return value } else { return nil } }
    /// Whether this is `null`.
    public var isNull: Bool { if case .null = self { return true } else { return false } }

    /// The member `key` of an object (by exact Unicode scalars), or nil.
    public subscript(key: String) -> JSONValue? { objectValue?[key] }

    /// The canonical (JCS) text, for logs and test messages.
    public var description: String {
        (try? String(decoding: JCS.canonicalize(self), as: UTF8.self)) ?? "<non-finite number>"
    }
}

extension JSONValue: Equatable {
    /// Structural equality: strings by Unicode scalars, numbers by value (so -0 == 0), arrays in
    /// order, objects as sets of members regardless of order.
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.number(let a), .number(let b)): return a == b
        case (.string(let a), .string(let b)): return scalarsEqual(a, b)
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)): return a == b
        default: return false
        }
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByFloatLiteral,
                     ExpressibleByIntegerLiteral, ExpressibleByNilLiteral, ExpressibleByArrayLiteral,
                     ExpressibleByDictionaryLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(nilLiteral: ()) { self = .null }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    /// An object literal; a repeated key keeps its last value.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        var object = JSONObject()
        for (key, value) in elements { object[key] = value }
        self = .object(object)
    }
}

/// Compares strings by their UTF-8 bytes, i.e. by Unicode scalars, never by canonical equivalence.
@inline(__always)
func scalarsEqual(_ a: String, _ b: String) -> Bool {
    let x = a.utf8, y = b.utf8
    guard x.count == y.count else { return false }
    // Native strings are contiguous UTF-8: compare the bytes directly.
    let fast: Bool?? = x.withContiguousStorageIfAvailable { xs in
        y.withContiguousStorageIfAvailable { ys in xs.elementsEqual(ys) }
    }
    if let fast, let result = fast { return result }
    return x.elementsEqual(y)
}
