// Enforces the access policy: as an interceptor for the method check (before any handler runs)
// and as a call for the key check (handlers know the key name only after decoding).

import Observability
import RPCCore
import Synchronization

/// Checks calls against the current ``AccessPolicy``; the policy can be swapped at runtime.
public final class Authorizer: ServerInterceptor, Sendable {
    /// Context attribute that carries the caller's roles, comma-separated.
    public static let rolesAttribute = "roles"

    private let policy: Mutex<AccessPolicy>
    private let monitor: AuthFailureMonitor
    private let onDenied: @Sendable (ServerContext, RPCError) -> Void

    /// - Parameters:
    ///   - onDenied: called for every refused call (the audit log records it).
    public init(policy: AccessPolicy, monitor: AuthFailureMonitor,
                onDenied: @escaping @Sendable (ServerContext, RPCError) -> Void = { _, _ in }) {
        self.policy = Mutex(policy)
        self.monitor = monitor
        self.onDenied = onDenied
    }

    /// Replaces the policy (SIGHUP reload, or an approved policy change).
    public func replacePolicy(_ newPolicy: AccessPolicy) {
        policy.withLock { $0 = newPolicy }
        monitor.updateThreshold(count: newPolicy.alertThreshold, windowSeconds: newPolicy.alertWindowSeconds)
    }

    public var currentPolicy: AccessPolicy { policy.withLock { $0 } }

    public func callStarting(_ context: ServerContext) async throws -> ServerContext {
        let current = policy.withLock { $0 }
        guard !context.peer.name.isEmpty else {
            throw deny(context, RPCError(.unauthenticated, "no client identity in the certificate"))
        }
        let roles = current.roles(of: context.peer.name, fingerprint: context.peer.fingerprintSHA256)
        guard !roles.isEmpty else {
            throw deny(context, RPCError(.permissionDenied, "identity \(context.peer.name) holds no role"))
        }
        guard current.allows(roles: roles, method: context.method.fullName) else {
            throw deny(context, RPCError(.permissionDenied,
                                         "roles \(roles.joined(separator: ",")) may not call \(context.method.fullName)"))
        }
        var allowed = context
        allowed.attributes[Self.rolesAttribute] = roles.joined(separator: ",")
        return allowed
    }

    /// Throws PERMISSION_DENIED unless the caller's roles may use `keyName` with this method.
    /// - Parameter audited: false for filtering (ListKeys hides keys instead of failing).
    public func authorizeKey(_ context: ServerContext, keyName: String, audited: Bool = true) throws {
        let roles = (context.attributes[Self.rolesAttribute] ?? "").split(separator: ",").map(String.init)
        let current = policy.withLock { $0 }
        guard current.allows(roles: roles, method: context.method.fullName, key: keyName) else {
            let error = RPCError(.permissionDenied,
                                 "\(context.peer.name) may not use key \(keyName) with \(context.method.method)")
            throw audited ? deny(context, error) : error
        }
    }

    private func deny(_ context: ServerContext, _ error: RPCError) -> RPCError {
        monitor.recordFailure(identity: context.peer.name.isEmpty ? "<anonymous>" : context.peer.name,
                              reason: error.code.description)
        onDenied(context, error)
        return error
    }
}
