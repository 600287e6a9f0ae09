// The access policy's answers for the combinations a running server actually sees (a handful of
// identities × methods × keys). Working them out means sorting identities and matching glob
// patterns for every call and every batch item; remembering them makes the check one dictionary
// lookup. The memo belongs to one policy: the authorizer replaces both together.

/// Decisions already taken under one ``AccessPolicy``, bounded in size.
struct AuthorizationDecisions: Sendable {
    /// Entries per table before it is emptied (key names come from clients, so the memo must not
    /// grow without bound; a server with more live combinations than this just recomputes).
    static let capacity = 4096

    private struct Identity: Hashable {
        let name: String
        let fingerprint: String
    }

    private struct MethodUse: Hashable {
        let roles: String
        let method: String
    }

    private struct KeyUse: Hashable {
        let roles: String
        let method: String
        let key: String
    }

    private var rolesByIdentity: [Identity: [String]] = [:]
    private var methodDecisions: [MethodUse: Bool] = [:]
    private var keyDecisions: [KeyUse: Bool] = [:]

    /// The roles `policy` gives `identity` (see ``AccessPolicy/roles(of:fingerprint:)``).
    mutating func roles(of identity: String, fingerprint: String, in policy: AccessPolicy) -> [String] {
        let entry = Identity(name: identity, fingerprint: fingerprint)
        if let known = rolesByIdentity[entry] { return known }
        let roles = policy.roles(of: identity, fingerprint: fingerprint)
        Self.insert(roles, for: entry, into: &rolesByIdentity)
        return roles
    }

    /// Whether `roles` (joined with commas) may call `method`.
    mutating func allows(roles: [String], joined: String, method: String, in policy: AccessPolicy) -> Bool {
        let entry = MethodUse(roles: joined, method: method)
        if let known = methodDecisions[entry] { return known }
        let allowed = policy.allows(roles: roles, method: method)
        Self.insert(allowed, for: entry, into: &methodDecisions)
        return allowed
    }

    /// Whether the roles in `joined` (comma-separated) may use `key` with `method`.
    mutating func allows(joinedRoles joined: String, method: String, key: String, in policy: AccessPolicy) -> Bool {
        let entry = KeyUse(roles: joined, method: method, key: key)
        if let known = keyDecisions[entry] { return known }
        let roles = joined.split(separator: ",").map(String.init)
        let allowed = policy.allows(roles: roles, method: method, key: key)
        Self.insert(allowed, for: entry, into: &keyDecisions)
        return allowed
    }

    private static func insert<Key: Hashable, Value>(_ value: Value, for key: Key, into table: inout [Key: Value]) {
        if table.count >= capacity { table.removeAll(keepingCapacity: true) }
        table[key] = value
    }
}
