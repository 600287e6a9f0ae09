// The 17 canonical status codes of gRPC, with the same numbers, as a small struct so that
// switch statements stay exhaustive-by-default-free and new codes cannot break callers.

/// A canonical RPC status code (gRPC numbering, 0...16).
public struct StatusCode: Hashable, Sendable, CustomStringConvertible {
    /// The wire value.
    public let rawValue: UInt8

    /// Creates a code from its wire value; `nil` outside 0...16.
    public init?(rawValue: UInt8) {
        guard rawValue <= 16 else { return nil }
        self.rawValue = rawValue
    }

    private init(_ value: UInt8) { rawValue = value }

    /// Success.
    public static let ok = StatusCode(0)
    /// The caller cancelled the call.
    public static let cancelled = StatusCode(1)
    /// An error with no better code.
    public static let unknown = StatusCode(2)
    /// The request is malformed, independent of server state.
    public static let invalidArgument = StatusCode(3)
    /// The deadline passed before the call completed.
    public static let deadlineExceeded = StatusCode(4)
    /// The key, version or operation does not exist.
    public static let notFound = StatusCode(5)
    /// The entity to create exists already.
    public static let alreadyExists = StatusCode(6)
    /// The caller may not do this.
    public static let permissionDenied = StatusCode(7)
    /// A queue, stream or connection limit is reached; retry after the hint.
    public static let resourceExhausted = StatusCode(8)
    /// The system is not in the state the call needs (e.g. the key is disabled).
    public static let failedPrecondition = StatusCode(9)
    /// Aborted by a concurrency conflict.
    public static let aborted = StatusCode(10)
    /// Past the valid range.
    public static let outOfRange = StatusCode(11)
    /// No such method, or not supported.
    public static let unimplemented = StatusCode(12)
    /// A server invariant broke.
    public static let `internal` = StatusCode(13)
    /// Temporarily unavailable (HSM down, audit log unwritable); retry.
    public static let unavailable = StatusCode(14)
    /// Unrecoverable loss or corruption of data.
    public static let dataLoss = StatusCode(15)
    /// No valid credentials.
    public static let unauthenticated = StatusCode(16)

    /// All 17 codes in numeric order.
    public static let allCases: [StatusCode] = (0...16).map { StatusCode(UInt8($0)) }

    private static let names = [
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
        "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
        "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
        "UNAUTHENTICATED",
    ]

    /// The canonical upper-case name, e.g. `DEADLINE_EXCEEDED`.
    public var description: String { Self.names[Int(rawValue)] }
}
