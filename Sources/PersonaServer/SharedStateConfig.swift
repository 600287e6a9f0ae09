// The `shared_state` section of the server config: the HSM token on which the server instances of
// one cluster share short-lived state (today: idempotency records of keyed signing calls). A token
// of its own, so its churn stays out of the key token, its DR copy and its workers' re-indexing.
// Optional: without it idempotency results are remembered per instance only.

import Foundation

/// Where shared state lives.
public struct SharedStateConfig: Codable, Hashable, Sendable {
    /// Path of the PKCS#11 module (.so).
    public var module: String
    /// Token label, or an RFC 7512 `pkcs11:` URI.
    public var token: String
    public var pinFile: String?
    public var pinEnv: String?

    enum CodingKeys: String, CodingKey {
        case module, token
        case pinFile = "pin_file", pinEnv = "pin_env"
    }

    public init(module: String, token: String, pinFile: String?, pinEnv: String?) {
        self.module = module
        self.token = token
        self.pinFile = pinFile
        self.pinEnv = pinEnv
    }

    func validate() throws {
        if pinFile == nil && pinEnv == nil {
            throw ConfigError("shared_state: set pin_file or pin_env (PINs never go on the command line)")
        }
    }

    mutating func resolvePaths(_ resolve: (String) -> String) {
        pinFile = pinFile.map(resolve)
        module = resolve(module)
    }
}
