// Call metadata and per-call options shared by client and server.

/// Ordered key/value metadata; keys are lower-case ASCII, values are bytes.
public struct Metadata: Hashable, Sendable {
    public var entries: [(key: String, value: [UInt8])] {
        get { storage.map { ($0.key, $0.value) } }
        set { storage = newValue.map { Entry(key: $0.key, value: $0.value) } }
    }

    private struct Entry: Hashable, Sendable {
        var key: String
        var value: [UInt8]
    }

    private var storage: [Entry] = []

    public init() {}

    /// Appends a text value.
    public mutating func add(_ key: String, _ value: String) {
        storage.append(Entry(key: key.lowercased(), value: Array(value.utf8)))
    }

    /// Appends a binary value.
    public mutating func add(_ key: String, bytes: [UInt8]) {
        storage.append(Entry(key: key.lowercased(), value: bytes))
    }

    /// The first value for `key`, as text.
    public subscript(key: String) -> String? {
        let lower = key.lowercased()
        return storage.first { $0.key == lower }.map { String(decoding: $0.value, as: UTF8.self) }
    }

    public var isEmpty: Bool { storage.isEmpty }
}

/// Options for one client call.
public struct CallOptions: Sendable {
    /// Time budget for the whole call, including retries; `nil` means none.
    public var timeout: Duration?
    /// Makes a non-idempotent call retryable: the server deduplicates on it.
    public var idempotencyKey: String?
    public var metadata: Metadata
    public var traceID: String?

    public init(timeout: Duration? = nil, idempotencyKey: String? = nil,
                metadata: Metadata = Metadata(), traceID: String? = nil) {
        self.timeout = timeout
        self.idempotencyKey = idempotencyKey
        self.metadata = metadata
        self.traceID = traceID
    }
}
