// Why a JSON text was refused, and where: issuance jobs report these per document, so the byte
// offset has to point at the problem.

/// A JSON parse or serialization failure.
public struct JSONError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The failure class. New codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        public static let unexpectedEnd = Code("unexpectedEnd")
        public static let unexpectedCharacter = Code("unexpectedCharacter")
        public static let trailingContent = Code("trailingContent")
        public static let invalidUTF8 = Code("invalidUTF8")
        public static let byteOrderMark = Code("byteOrderMark")
        public static let controlCharacter = Code("controlCharacter")
        public static let invalidEscape = Code("invalidEscape")
        public static let loneSurrogate = Code("loneSurrogate")
        public static let invalidNumber = Code("invalidNumber")
        /// A number whose magnitude exceeds the largest double (I-JSON forbids it).
        public static let numberOutOfRange = Code("numberOutOfRange")
        public static let duplicateKey = Code("duplicateKey")
        public static let depthExceeded = Code("depthExceeded")
        public static let tooLarge = Code("tooLarge")
        /// NaN or an infinity cannot be serialized (RFC 8785 §3.2.2.3).
        public static let nonFiniteNumber = Code("nonFiniteNumber")
    }

    public var code: Code
    public var message: String
    /// Byte offset in the input where the problem was found (nil for serialization errors).
    public var offset: Int?

    public init(_ code: Code, _ message: String, offset: Int?) {
        self.code = code
        self.message = message
        self.offset = offset
    }

    public var description: String {
        offset.map { "\(code) at byte \($0): \(message)" } ?? "\(code): \(message)"
    }
}
