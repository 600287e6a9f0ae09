// Short-lived state that server instances share, kept in the HSM cluster as CKO_DATA objects on a
// token of its own (not the key token: on SoftHSM2 every object is a file that DR copies and
// worker re-indexes would walk). Each instance only ever creates objects labelled
// `<instance>/<sequence>` with a random instance id per process start, so no two instances write
// the same object and no protocol of our own is needed: readers tail what the others appended.
// Every object carries its expiry; any instance may destroy objects whose expiry has passed.
//
// Reads stay cheap as objects accumulate: the reading session lives as long as the log, so its
// object handles stay valid (PKCS#11 keeps a handle for as long as the session and the object
// exist), objects already read are remembered by handle, and only new handles are read. Writes go
// through a few sessions of their own, each on its own thread: creating a token object costs
// SoftHSM2 several file rewrites, whose waits overlap across sessions.

import Dispatch
import Foundation
import PKCS11
import Synchronization

/// An append-only, expiring log of blobs on one token, shared by every instance that opens it.
public final class SharedRecordLog: Sendable {
    /// CKA_APPLICATION of the log's objects.
    public static let application = "personahsm/shared-records"

    /// This process's writer id (random per start).
    public let instance: String
    private let reader: ReaderLane
    private let writers: [SessionLane]
    private let sequence = Atomic<UInt64>(0)
    private let now: @Sendable () -> Double

    /// - Parameters:
    ///   - token: the shared-state token (logged in with `pin` before each use).
    ///   - instance: the writer id; random unless a test fixes it.
    ///   - writers: sessions that create objects concurrently.
    ///   - now: seconds since the epoch.
    public init(token: Token, pin: PIN, instance: String? = nil, writers: Int = 2,
                now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.instance = instance ?? (0..<8).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        self.now = now
        reader = ReaderLane(token: token, pin: pin, name: "personahsm.shared-records.read")
        self.writers = (0..<max(1, writers)).map {
            SessionLane(token: token, pin: pin, name: "personahsm.shared-records.write\($0)")
        }
    }

    /// Writers that can create objects at the same time.
    public var writerCount: Int { writers.count }

    /// Writes `payload` as one new object, useless after `expires`.
    /// - Returns: the object's label.
    @discardableResult
    public func append(_ payload: [UInt8], expires: Double) async throws -> String {
        let number = sequence.add(1, ordering: .relaxed).newValue
        let label = instance + "/" + String(number)
        let value = Self.encode(expires: expires) + payload
        let lane = writers[Int(number % UInt64(writers.count))]
        try await lane.run { session in
            _ = try session.createObject([
                .objectClass(.data), .bool(.token, true), .bool(.private, true),
                .string(.application, Self.application), .string(.label, label), .bytes(.value, value)])
        }
        return label
    }

    /// Payloads the other instances appended since the last call (expired ones left out).
    public func readNew() async throws -> [[UInt8]] {
        let own = instance + "/"
        let time = now()
        return try await reader.run { session, known in
            var payloads: [[UInt8]] = []
            let present = try session.findObjects([.objectClass(.data), .string(.application, Self.application)],
                                                  limit: Int.max)
            for handle in present where known[handle] == nil {
                guard let value = try session.attribute(.value, of: handle), value.count >= 8 else { continue }
                let expires = Self.decodeExpiry(value)
                known[handle] = expires
                let label = try session.attribute(.label, of: handle).map { String(decoding: $0, as: UTF8.self) } ?? ""
                if expires > time && !label.hasPrefix(own) { payloads.append(Array(value[8...])) }
            }
            // Forget objects destroyed meanwhile (a handle could be reused for a new object).
            if present.count < known.count {
                let live = Set(present)
                known = known.filter { live.contains($0.key) }
            }
            return payloads
        }
    }

    /// Destroys every known object whose expiry has passed, whoever wrote it (an instance that died
    /// leaves its objects behind). Objects become known through ``readNew()``.
    /// - Returns: objects destroyed.
    @discardableResult
    public func prune() async throws -> Int {
        let time = now()
        var destroyed = 0
        // A few objects per turn of the reader's queue, so catch-up reads queued meanwhile are not
        // held up by a long prune (each destruction rewrites files on SoftHSM2).
        while true {
            let (count, more) = try await reader.run { session, known -> (Int, Bool) in
                let expired = known.filter { $0.value <= time }.map(\.key)
                var count = 0
                for handle in expired.prefix(16) {
                    // Another instance may have destroyed it first: either way it is gone.
                    do { try session.destroyObject(handle); count += 1 } catch {}
                    known[handle] = nil
                }
                return (count, expired.count > 16)
            }
            destroyed += count
            if !more { return destroyed }
        }
    }

    /// Objects of the log on the token, anyone's (tests and metrics).
    public func objectCount() async throws -> Int {
        try await reader.run { session, _ in
            try session.findObjects([.objectClass(.data), .string(.application, Self.application)],
                                    limit: Int.max).count
        }
    }

    static func encode(expires: Double) -> [UInt8] {
        let millis = UInt64(max(0, expires * 1000))
        return (0..<8).map { UInt8(truncatingIfNeeded: millis >> (56 - 8 * UInt64($0))) }
    }

    static func decodeExpiry(_ value: [UInt8]) -> Double {
        Double(value.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }) / 1000
    }
}

/// One long-lived session used from one serial queue; a failed call drops it and the next call
/// opens a new one.
private class SessionLane: @unchecked Sendable {  // `session` is confined to `queue`
    private let token: Token
    private let pin: PIN
    let queue: DispatchQueue
    private var session: Session?

    init(token: Token, pin: PIN, name: String) {
        self.token = token
        self.pin = pin
        queue = DispatchQueue(label: name)
    }

    /// Called on `queue` when a new session replaces the old one.
    func sessionReplaced() {}

    func run<T: Sendable>(_ body: @escaping @Sendable (Session) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { [self] in
                do {
                    continuation.resume(returning: try body(try openSession()))
                } catch {
                    if let error = error as? PKCS11Error { session?.noteFailure(error) }
                    session = nil
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    private func openSession() throws -> Session {
        if let session, !session.isStale { return session }
        try token.login(pin: pin)
        let opened = try token.openSession(readWrite: true)
        session = opened
        sessionReplaced()
        return opened
    }
}

/// The reading lane: also remembers the objects its session has read, with their expiry.
private final class ReaderLane: SessionLane, @unchecked Sendable {  // `known` is confined to `queue`
    private var known: [ObjectHandle: Double] = [:]

    override func sessionReplaced() { known = [:] }  // handles belong to the session that found them

    func run<T: Sendable>(_ body: @escaping @Sendable (Session, inout [ObjectHandle: Double]) throws -> T)
        async throws -> T
    {
        try await run { [self] session in try body(session, &known) }
    }
}
