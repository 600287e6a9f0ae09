// Administrative work (key generation, import, metadata blobs) on a backend's token, outside the
// batching path. Such operations are rare and may take seconds (RSA-3072 generation), so each runs
// on a short-lived thread of its own with a fresh session, never on a signing worker and never on
// the cooperative pool.

import Foundation
import PKCS11

extension HSMScheduler {
    /// Names of the configured backends, in configuration order.
    public var backendNames: [String] { backends.map(\.name) }

    /// Runs `body` with a new logged-in read-write session on backend `name`, on a dedicated
    /// thread, and returns its result. The session is closed afterwards.
    /// - Throws: `HSMError(.notFound)` for an unknown backend; `.unavailable` when the token
    ///   cannot be reached; errors thrown by `body` are passed through unchanged.
    public func withSession<T: Sendable>(backend name: String,
                                         _ body: @escaping @Sendable (Session) throws -> T) async throws -> T {
        guard let backend = backends.first(where: { $0.name == name }) else {
            throw HSMError(.notFound, "no backend named \(name)")
        }
        let configuration = backend.configuration
        return try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                let session: Session
                do {
                    let module = try PKCS11Module.load(path: configuration.modulePath)
                    let token = try module.token(label: configuration.tokenLabel)
                    try token.login(pin: configuration.pin)
                    session = try token.openSession()
                } catch {
                    let cause = error as? PKCS11Error
                    continuation.resume(throwing: HSMError(.unavailable(retryAfter: .seconds(1)), "cannot open an admin session",
                                                           backend: name, cause: cause))
                    return
                }
                do {
                    continuation.resume(returning: try body(session))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            thread.name = "hsm-admin-\(name)"
            thread.start()
        }
    }
}
