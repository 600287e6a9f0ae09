// Identifies an RPC method on the wire by a stable 32-bit id derived from its full name, so that
// client and server agree without a registry and renaming a method is a visible wire change.

/// How requests and responses flow for a method.
public enum MethodKind: UInt8, Sendable, Hashable {
    case unary = 0
    case serverStreaming = 1
    case clientStreaming = 2
    case bidiStreaming = 3
}

/// A method of a service, as generated from Protos/.
public struct MethodDescriptor: Hashable, Sendable, CustomStringConvertible {
    /// Fully qualified service name, e.g. `persona.hsm.v1.SigningService`.
    public let service: String
    /// Method name, e.g. `Sign`.
    public let method: String
    /// Stable wire id: FNV-1a 32 of `fullName`.
    public let id: UInt32
    public let kind: MethodKind
    /// Safe to retry without an idempotency key (reads, verification).
    public let isIdempotent: Bool

    public init(service: String, method: String, kind: MethodKind, isIdempotent: Bool) {
        self.service = service
        self.method = method
        self.kind = kind
        self.isIdempotent = isIdempotent
        self.id = MethodDescriptor.stableID(fullName: "/\(service)/\(method)")
    }

    /// `/package.Service/Method`.
    public var fullName: String { "/\(service)/\(method)" }
    public var description: String { fullName }

    /// FNV-1a (32-bit) over the UTF-8 bytes of a full method name.
    public static func stableID(fullName: String) -> UInt32 {
        var hash: UInt32 = 0x811C_9DC5
        for byte in fullName.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 0x0100_0193
        }
        return hash
    }
}
