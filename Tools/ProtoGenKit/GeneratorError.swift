// The one error type of the generator. A schema the generator cannot turn into correct Swift
// (name collisions, unsupported proto features, method-id collisions) must stop generation with
// a message that names the offending element, never produce code that fails later.

/// Why code generation failed.
public struct GeneratorError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A growable category of generator failures.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The descriptor set could not be read.
        public static let unreadableSchema = Code("unreadable-schema")
        /// The schema uses something protobuf-c or this generator does not support.
        public static let unsupportedFeature = Code("unsupported-feature")
        /// A referenced type or file is not in the descriptor set.
        public static let unresolvedReference = Code("unresolved-reference")
        /// Two schema elements would get the same Swift name.
        public static let nameCollision = Code("name-collision")
        /// Two methods would get the same wire id.
        public static let methodIDCollision = Code("method-id-collision")
        /// Bad command-line usage or options.
        public static let invalidOptions = Code("invalid-options")
        /// Output could not be written.
        public static let outputFailed = Code("output-failed")
    }

    public var code: Code
    public var message: String
    /// The underlying error, if another layer failed first.
    public var cause: String?

    public init(_ code: Code, _ message: String, cause: String? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        if let cause { return "\(code): \(message) (\(cause))" }
        return "\(code): \(message)"
    }
}
