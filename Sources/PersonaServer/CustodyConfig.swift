// The `custody` section of the server config: the M-of-N quorum rule and the backup vault (the
// HSM token that seals backup and escrow bundles). Both optional: without a quorum every quorum
// operation is refused (dev mode still lets key destruction through after its waiting period);
// without a vault, backup and restore are refused.

import Custody
import Foundation

/// The token that holds the backup and escrow sealing keys.
public struct VaultConfig: Codable, Hashable, Sendable {
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
}

/// Quorum and vault settings.
public struct CustodyConfig: Codable, Hashable, Sendable {
    public var quorum: QuorumSettings?
    public var vault: VaultConfig?

    public init(quorum: QuorumSettings?, vault: VaultConfig?) {
        self.quorum = quorum
        self.vault = vault
    }

    func validate() throws {
        if let problem = quorum?.problem { throw ConfigError("custody: \(problem)") }
        if let vault, vault.pinFile == nil && vault.pinEnv == nil {
            throw ConfigError("custody.vault: set pin_file or pin_env (PINs never go on the command line)")
        }
    }

    mutating func resolvePaths(_ resolve: (String) -> String) {
        guard var resolved = vault else { return }
        resolved.pinFile = resolved.pinFile.map(resolve)
        resolved.module = resolve(resolved.module)
        vault = resolved
    }
}
