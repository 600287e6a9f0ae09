// Certificates are replaced without dropping connections: new connections take the context
// current at accept/connect time, existing sessions keep a reference to the one they started with.

import Synchronization

/// The current TLS context of a server or client, swappable at run time.
final class ReloadableTLSContext: Sendable {
    private let configuration: TLSConfiguration
    private let role: TLSContext.Role
    private let current: Mutex<TLSContext>

    init(role: TLSContext.Role, configuration: TLSConfiguration) throws(TransportError) {
        self.role = role
        self.configuration = configuration
        current = Mutex(try TLSContext(role: role, configuration: configuration))
    }

    var context: TLSContext { current.withLock { $0 } }

    /// Re-reads the credentials and swaps the context; on failure the old one stays in use.
    func reload() throws(TransportError) {
        let fresh = try TLSContext(role: role, configuration: configuration)
        current.withLock { $0 = fresh }
    }
}
