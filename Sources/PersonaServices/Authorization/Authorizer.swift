// Enforces the access policy: as an interceptor for the method check (before any handler runs)
// and as a call for the key check (handlers know the key name only after decoding). Decisions are
// remembered per policy (AuthorizationDecisions), so a batch of 256 items costs 256 lookups, not
// 256 policy evaluations.

import Observability
import RPCCore
import Synchronization

/// Checks calls against the current ``AccessPolicy``; the policy can be swapped at runtime.
public final class Authorizer: ServerInterceptor, Sendable {
    /// Context attribute that carries the caller's roles, comma-separated.
    public static let rolesAttribute = "roles"

    /// The policy and the decisions taken under it, replaced together.
    private struct State: Sendable {
        var policy: AccessPolicy
        var decisions = AuthorizationDecisions()
    }

    private let state: Mutex<State>
    private let monitor: AuthFailureMonitor
    private let onDenied: @Sendable (ServerContext, RPCError) -> Void

    /// - Parameters:
    ///   - onDenied: called for every refused call (the audit log records it).
    public init(policy: AccessPolicy, monitor: AuthFailureMonitor,
                onDenied: @escaping @Sendable (ServerContext, RPCError) -> Void = { _, _ in }) {
        self.state = Mutex(State(policy: policy))
        self.monitor = monitor
        self.onDenied = onDenied
    }

    /// Replaces the policy (SIGHUP reload, or an approved policy change).
    public func replacePolicy(_ newPolicy: AccessPolicy) {
        state.withLock { $0 = State(policy: newPolicy) }
        monitor.updateThreshold(count: newPolicy.alertThreshold, windowSeconds: newPolicy.alertWindowSeconds)
    }

    public var currentPolicy: AccessPolicy { state.withLock { $0.policy } }

    public func callStarting(_ context: ServerContext) async throws -> ServerContext {
        guard !context.peer.name.isEmpty else {
            throw deny(context, RPCError(.unauthenticated, "no client identity in the certificate"))
        }
        let method = context.method.fullName
        let (roles, joined, allowed) = state.withLock { state in
            let roles = state.decisions.roles(of: context.peer.name, fingerprint: context.peer.fingerprintSHA256,
                                              in: state.policy)
            let joined = roles.joined(separator: ",")
            let allowed = !roles.isEmpty && state.decisions.allows(roles: roles, joined: joined, method: method,
                                                                   in: state.policy)
            return (roles, joined, allowed)
        }
        guard !roles.isEmpty else {
            throw deny(context, RPCError(.permissionDenied, "identity \(context.peer.name) holds no role"))
        }
        guard allowed else {
            throw deny(context, RPCError(.permissionDenied,
                                         "roles \(joined) may not call \(method)"))
        }
        var admitted = context
        admitted.attributes[Self.rolesAttribute] = joined
        return admitted
    }

    /// Throws PERMISSION_DENIED unless the caller's roles may use `keyName` with this method.
    /// - Parameter audited: false for filtering (ListKeys hides keys instead of failing).
    public func authorizeKey(_ context: ServerContext, keyName: String, audited: Bool = true) throws {
        let roles = context.attributes[Self.rolesAttribute] ?? ""
        let method = context.method.fullName
        let allowed = state.withLock { state in
            state.decisions.allows(joinedRoles: roles, method: method, key: keyName, in: state.policy)
        }
        guard allowed else {
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
