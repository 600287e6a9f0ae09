// The `custody` section of the server config: the M-of-N quorum rule and the backup vault (the
// HSM token that seals backup and escrow bundles). Both optional: without a quorum every quorum
// operation is refused (dev mode still lets key destruction through after its waiting period);
// without a vault, backup and restore are refused.

import Custody
import Foundation

/// The token that holds the backup and escrow sealing keys.
public typealias VaultConfig = TokenReference

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
        try vault?.validate(section: "custody.vault")
    }

    mutating func resolvePaths(_ resolve: (String) -> String) {
        vault?.resolvePaths(resolve)
    }
}
