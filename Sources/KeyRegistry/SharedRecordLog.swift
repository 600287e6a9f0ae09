// Short-lived state that server instances share, kept in the HSM cluster as CKO_DATA objects on a
// token of its own (not the key token: on SoftHSM2 every object is a file that DR copies and
// worker re-indexes would walk). Each instance only ever creates objects labelled
// `<instance>/<sequence>` with a random instance id per process start, so no two instances write
// the same object and no protocol of our own is needed: readers tail what the others appended.
// Every object carries its expiry; any instance may destroy objects whose expiry has passed.
//
// Reads stay cheap as objects accumulate: one session lives as long as the log, so its object
// handles stay valid (PKCS#11 keeps a handle for as long as the session and the object exist),
// objects already read are remembered by handle, and only new handles are read.

import Dispatch
import Foundation
import PKCS11

/// An append-only, expiring log of blobs on one token, shared by every instance that opens it.
public final class SharedRecordLog: @unchecked Sendable {  // mutable state is confined to `queue`
    /// CKA_APPLICATION of the log's objects.
    public static let application = "personahsm/shared-records"

    /// This process's writer id (random per start).
    public let instance: String
    private let token: Token
    private let pin: PIN
    private let queue: DispatchQueue
    private let now: @Sendable () -> Double

    // Confined to `queue`.
    private var session: Session?
    private var sequence: UInt64 = 0
    /// Objects read or written through `session`, with their expiry (seconds since the epoch).
    private var known: [ObjectHandle: Double] = [:]

    /// - Parameters:
    ///   - token: the shared-state token (logged in with `pin` before each use).
    ///   - instance: the writer id; random unless a test fixes it.
    ///   - now: seconds since the epoch.
    public init(token: Token, pin: PIN, instance: String? = nil,
                now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.token = token
        self.pin = pin
        self.instance = instance ?? (0..<8).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        self.now = now
        queue = DispatchQueue(label: "personahsm.shared-records")
    }

    /// Writes `payload` as one new object, useless after `expires`.
    /// - Returns: the object's label.
    @discardableResult
    public func append(_ payload: [UInt8], expires: Double) async throws -> String {
        try await run { log in
            log.sequence += 1
            let label = log.instance + "/" + String(log.sequence)
            let handle = try log.openSession().createObject([
                .objectClass(.data), .bool(.token, true), .bool(.private, true),
                .string(.application, Self.application), .string(.label, label),
                .bytes(.value, Self.encode(expires: expires) + payload)])
            log.known[handle] = expires
            return label
        }
    }

    /// Payloads the other instances appended since the last call (expired ones left out).
    public func readNew() async throws -> [[UInt8]] {
        try await run { log in
            let session = try log.openSession()
            let time = log.now()
            var payloads: [[UInt8]] = []
            let present = try session.findObjects([.objectClass(.data), .string(.application, Self.application)],
                                                  limit: Int.max)
            for handle in present where log.known[handle] == nil {
                guard let value = try session.attribute(.value, of: handle), value.count >= 8 else { continue }
                let expires = Self.decodeExpiry(value)
                log.known[handle] = expires
                let label = try session.attribute(.label, of: handle).map { String(decoding: $0, as: UTF8.self) } ?? ""
                if expires > time && !label.hasPrefix(log.instance + "/") { payloads.append(Array(value[8...])) }
            }
            // Forget objects destroyed meanwhile (a handle could be reused for a new object).
            if present.count < log.known.count {
                let live = Set(present)
                log.known = log.known.filter { live.contains($0.key) }
            }
            return payloads
        }
    }

    /// Destroys every known object whose expiry has passed, whoever wrote it (an instance that died
    /// leaves its objects behind). Call ``readNew()`` first to learn of the others' objects.
    /// - Returns: objects destroyed.
    @discardableResult
    public func prune() async throws -> Int {
        try await run { log in
            let session = try log.openSession()
            let time = log.now()
            var destroyed = 0
            for (handle, expires) in log.known where expires <= time {
                // Another instance may have destroyed it first: either way it is gone.
                do { try session.destroyObject(handle); destroyed += 1 } catch {}
                log.known[handle] = nil
            }
            return destroyed
        }
    }

    /// Objects of the log on the token, anyone's (tests and metrics).
    public func objectCount() async throws -> Int {
        try await run { log in
            try log.openSession().findObjects([.objectClass(.data), .string(.application, Self.application)],
                                              limit: Int.max).count
        }
    }

    private func openSession() throws -> Session {
        if let session, !session.isStale { return session }
        try token.login(pin: pin)
        let opened = try token.openSession(readWrite: true)
        session = opened
        known = [:]  // handles belong to the session that found them
        return opened
    }

    /// Runs `body` on the log's queue; a failed call drops the session, the next one opens anew.
    private func run<T: Sendable>(_ body: @escaping @Sendable (SharedRecordLog) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { [self] in
                do {
                    continuation.resume(returning: try body(self))
                } catch {
                    if let error = error as? PKCS11Error { session?.noteFailure(error) }
                    session = nil
                    continuation.resume(throwing: error)
                }
            }
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
