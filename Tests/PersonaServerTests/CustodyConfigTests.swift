// The `custody` config section: M and N load with their defaults, inconsistent quorum rules are
// refused at load with a message naming the setting, and the vault needs a PIN source.

import Foundation
import Testing
@testable import PersonaServer

@Suite struct CustodyConfigTests {
    func load(custody: String) throws -> ServerConfig {
        var text = ServerConfigTests.minimal
        text.removeLast(2)
        text += ",\n  \"custody\": \(custody)\n}"
        return try ServerConfig.load(path: try ServerConfigTests().write(text), environment: [:])
    }

    @Test func loadsQuorumAndVault() throws {
        let config = try load(custody: """
            {"quorum": {"required": 2, "approvers": ["a", "b", "c"]},
             "vault": {"module": "lib/vault.so", "token": "vault", "pin_file": "vault.pin"}}
            """)
        let quorum = try #require(config.custody?.quorum)
        #expect(quorum.required == 2 && quorum.approvers == ["a", "b", "c"] && quorum.approvalTTLSeconds == 3600)
        let base = URL(fileURLWithPath: config.policy).deletingLastPathComponent().path
        #expect(config.custody?.vault?.pinFile == base + "/vault.pin")
        #expect(config.custody?.vault?.module == base + "/lib/vault.so")
    }

    @Test func refusesInconsistentRules() throws {
        let cases = [
            (#"{"quorum": {"required": 4, "approvers": ["a", "b", "c"]}}"#, "exceeds the 3 approvers"),
            (#"{"quorum": {"required": 0, "approvers": ["a"]}}"#, "at least 1"),
            (#"{"quorum": {"required": 1, "approvers": ["a", "a"]}}"#, "twice"),
            (#"{"quorum": {"required": 1, "approvers": ["a"], "approval_ttl_seconds": 0}}"#, "approval_ttl_seconds"),
            (#"{"vault": {"module": "/v.so", "token": "vault"}}"#, "pin_file or pin_env"),
        ]
        for (custody, expected) in cases {
            #expect {
                _ = try load(custody: custody)
            } throws: { error in
                "\(error)".contains(expected)
            }
        }
    }
}
