// The RBAC policy: which client identities hold which roles, and what each role may call on
// which keys. Loaded from a JSON file (docs/CONFIG.md shows the format); reloadable on SIGHUP.

import Foundation

/// What one role may do.
public struct RolePermissions: Codable, Hashable, Sendable {
    /// Method patterns: `Service/Method` with `*` wildcards, e.g. `SigningService/*`, `*/Get*`.
    /// The package prefix (`persona.hsm.v1.`) may be omitted.
    public var methods: [String]
    /// Key-name patterns with `*` wildcards; calls naming a key must match one.
    public var keys: [String]

    public init(methods: [String], keys: [String]) {
        self.methods = methods
        self.keys = keys
    }
}

/// Maps identities to roles and roles to permissions.
public struct AccessPolicy: Codable, Hashable, Sendable {
    public var roles: [String: RolePermissions]
    /// Identity (SAN URI/DNS or CN, or `sha256:<fingerprint>`) → role names. Keys may use `*`.
    public var identities: [String: [String]]
    /// Failed authentications/authorizations from one identity within `window_seconds` that
    /// raise an alert.
    public var alertThreshold: Int
    public var alertWindowSeconds: Double

    enum CodingKeys: String, CodingKey {
        case roles, identities
        case alertThreshold = "alert_threshold"
        case alertWindowSeconds = "alert_window_seconds"
    }

    public init(roles: [String: RolePermissions], identities: [String: [String]],
                alertThreshold: Int = 5, alertWindowSeconds: Double = 60) {
        self.roles = roles
        self.identities = identities
        self.alertThreshold = alertThreshold
        self.alertWindowSeconds = alertWindowSeconds
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        roles = try container.decode([String: RolePermissions].self, forKey: .roles)
        identities = try container.decode([String: [String]].self, forKey: .identities)
        alertThreshold = try container.decodeIfPresent(Int.self, forKey: .alertThreshold) ?? 5
        alertWindowSeconds = try container.decodeIfPresent(Double.self, forKey: .alertWindowSeconds) ?? 60
        for (identity, names) in identities {
            for name in names where roles[name] == nil {
                throw PolicyError("identity \(identity) names unknown role \(name)")
            }
        }
    }

    /// Loads and validates a policy file.
    public static func load(path: String) throws -> AccessPolicy {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PolicyError("cannot read policy file \(path)")
        }
        do { return try JSONDecoder().decode(AccessPolicy.self, from: data) } catch let error as PolicyError {
            throw error
        } catch {
            throw PolicyError("invalid policy file \(path): \(error)")
        }
    }

    /// The shipped roles: admin (everything), issuer (sign with issuer keys, read keys),
    /// verifier (verify and read public keys), auditor (read-only plus audit checkpoints).
    public static func standardRoles() -> [String: RolePermissions] {
        [
            "admin": RolePermissions(methods: ["*"], keys: ["*"]),
            "issuer": RolePermissions(
                methods: ["SigningService/*", "KeyService/GetKey", "KeyService/ListKeys",
                          "KeyService/GetPublicKey", "KeyService/CreateKey", "CryptoService/*", "HealthService/*"],
                keys: ["*"]),
            "verifier": RolePermissions(
                methods: ["SigningService/Verify", "SigningService/VerifyBatch", "KeyService/GetKey",
                          "KeyService/ListKeys", "KeyService/GetPublicKey", "HealthService/*"],
                keys: ["*"]),
            "auditor": RolePermissions(
                methods: ["KeyService/GetKey", "KeyService/ListKeys", "KeyService/GetPublicKey",
                          "AdminService/ListPending", "AdminService/CheckpointAudit", "HealthService/*"],
                keys: ["*"]),
        ]
    }

    /// Role names held by `identity` (exact matches and wildcard patterns).
    public func roles(of identity: String, fingerprint: String) -> [String] {
        var result: [String] = []
        for (pattern, names) in identities.sorted(by: { $0.key < $1.key })
        where Glob.matches(pattern, identity) || pattern == "sha256:\(fingerprint)" {
            for name in names where !result.contains(name) { result.append(name) }
        }
        return result
    }

    /// Whether any of `roles` may call `fullMethod` (`/package.Service/Method`).
    public func allows(roles: [String], method fullMethod: String) -> Bool {
        let qualified = fullMethod.hasPrefix("/") ? String(fullMethod.dropFirst()) : fullMethod
        let short = Self.stripPackage(qualified)
        return roles.contains { role in
            self.roles[role]?.methods.contains { pattern in
                Glob.matches(pattern, qualified) || Glob.matches(pattern, short)
            } ?? false
        }
    }

    /// Whether any of `roles` that may call `fullMethod` may use key `name`.
    public func allows(roles: [String], method fullMethod: String, key name: String) -> Bool {
        roles.contains { role in
            allows(roles: [role], method: fullMethod)
                && (self.roles[role]?.keys.contains { Glob.matches($0, name) } ?? false)
        }
    }

    static func stripPackage(_ qualified: String) -> String {
        guard let slash = qualified.firstIndex(of: "/") else { return qualified }
        let service = qualified[..<slash]
        let shortService = service.split(separator: ".").last.map(String.init) ?? String(service)
        return shortService + qualified[slash...]
    }
}

/// A policy that cannot be loaded or is inconsistent.
public struct PolicyError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
