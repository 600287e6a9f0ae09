// Per-credential AES keys are derived inside the token on first use and kept as session objects
// (CKA_TOKEN false) for the next requests of the same credential on the same session. The cache is
// bounded, least recently used first out, because every entry is an object in the HSM's memory;
// an evicted key is destroyed in the token by the owner. Owned by one SessionExecutor (one thread).

import PKCS11

struct DerivedKeyCache {
    struct Entry { var handle: ObjectHandle; var lastUse: UInt64 }
    struct Key: Hashable { var masterID: [UInt8]; var credentialID: [UInt8] }

    /// Most derived keys kept per session.
    let capacity: Int
    private(set) var entries: [Key: Entry] = [:]
    private var clock: UInt64 = 0

    init(capacity: Int = 256) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    /// The cached handle for `key`, marking it recently used.
    mutating func handle(for key: Key) -> ObjectHandle? {
        guard var entry = entries[key] else { return nil }
        clock += 1
        entry.lastUse = clock
        entries[key] = entry
        return entry.handle
    }

    /// Adds `handle`; returns the handle evicted to make room (the caller destroys it).
    mutating func insert(_ handle: ObjectHandle, for key: Key) -> ObjectHandle? {
        clock += 1
        var evicted: ObjectHandle?
        if entries[key] == nil, entries.count >= capacity,
           let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse }) {
            evicted = oldest.value.handle
            entries[oldest.key] = nil
        }
        entries[key] = Entry(handle: handle, lastUse: clock)
        return evicted
    }

    /// Forgets every entry (the session closed, so its objects are gone).
    mutating func removeAll() { entries.removeAll() }

    var count: Int { entries.count }
}
