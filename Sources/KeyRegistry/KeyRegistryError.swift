// Errors of the key registry; the service layer maps each kind to an RPC status code.

/// A registry operation that cannot be done.
public struct KeyRegistryError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        case notFound, alreadyExists, invalidArgument, failedPrecondition, unavailable, `internal`
    }

    public var kind: Kind
    public var message: String
    /// Machine-readable reason such as `KEY_DISABLED`.
    public var reason: String

    public init(_ kind: Kind, _ message: String, reason: String = "") {
        self.kind = kind
        self.message = message
        self.reason = reason
    }

    public var description: String { message }

    static func notFound(_ name: String) -> KeyRegistryError {
        KeyRegistryError(.notFound, "key \(name) not found", reason: "KEY_NOT_FOUND")
    }

    static func versionNotFound(_ name: String, _ version: UInt32) -> KeyRegistryError {
        KeyRegistryError(.notFound, "key \(name) has no version \(version)", reason: "VERSION_NOT_FOUND")
    }
}
