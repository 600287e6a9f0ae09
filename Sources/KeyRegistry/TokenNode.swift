// Administrative access to one HSM node: key generation, destruction and metadata. These calls
// are rare, so each runs on the node's own serial queue with a short-lived session, away from the
// scheduler's signing workers and off Swift's cooperative pool.

import Dispatch
import PKCS11

/// One token the registry administers.
public final class TokenNode: Sendable {
    public let name: String
    /// `primary` or `dr`.
    public let cluster: String
    /// Nodes with the same store identity reach the same objects from this process (one cluster
    /// behind one module, or one shared SoftHSM2 store): the key store writes to each store once.
    public let storeIdentity: String
    private let token: Token
    private let pin: PIN
    private let queue: DispatchQueue

    /// - Parameter storeIdentity: what this process reaches through the node; nil makes the node
    ///   its own store.
    public init(name: String, cluster: String, token: Token, pin: PIN, storeIdentity: String? = nil) {
        self.name = name
        self.cluster = cluster
        self.storeIdentity = storeIdentity ?? "node:" + name
        self.token = token
        self.pin = pin
        queue = DispatchQueue(label: "personahsm.admin.\(name)")
    }

    /// Runs `body` with a logged-in read/write session on the node's queue.
    public func withSession<T: Sendable>(_ body: @escaping @Sendable (Session) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { [token, pin] in
                do {
                    try token.login(pin: pin)
                    let session = try token.openSession(readWrite: true)
                    continuation.resume(returning: try body(session))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }
}
