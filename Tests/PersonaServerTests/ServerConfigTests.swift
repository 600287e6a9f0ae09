// The daemon's config file: defaults, environment overrides, relative paths and validation.

import Foundation
import Testing
@testable import PersonaServer
import PersonaServices

@Suite struct ServerConfigTests {
    static let minimal = """
    {
      "listen": "127.0.0.1:7443",
      "tls": {"certificate": "pki/server.pem", "private_key": "pki/server.key", "client_ca": "/etc/ca.pem"},
      "policy": "policy.json",
      "audit": {"path": "audit/audit.log", "checkpoint_every": 1000, "write_timeout_ms": 1000,
                "key_name": "audit-checkpoints"},
      "backends": [{"name": "p1", "cluster": "primary", "module": "/usr/lib/softhsm/libsofthsm2.so",
                    "token": "personahsm-primary", "pin_env": "HSM_PIN", "sessions": 4}]
    }
    """

    func write(_ text: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cfg-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let file = dir.appendingPathComponent("personahsmd.json")
        try Data(text.utf8).write(to: file)
        return file.path
    }

    @Test func loadsWithDefaultsAndResolvesPaths() throws {
        let path = try write(Self.minimal)
        let config = try ServerConfig.load(path: path, environment: [:])
        let base = URL(fileURLWithPath: path).deletingLastPathComponent().path
        #expect(config.tls.certificate == base + "/pki/server.pem")
        #expect(config.tls.clientCA == "/etc/ca.pem")
        #expect(config.audit.path == base + "/audit/audit.log")
        #expect(config.opsListen == "127.0.0.1:9464")
        #expect(config.tuning.rotationDays == 90)
        #expect(config.tuning.destructionWaitDays == 30)
        #expect(config.dev == false)
    }

    @Test func environmentOverridesTheFile() throws {
        let config = try ServerConfig.load(path: try write(Self.minimal),
                                           environment: ["PERSONAHSM_LISTEN": "0.0.0.0:8443",
                                                         "PERSONAHSM_BATCH_SIZE": "128",
                                                         "PERSONAHSM_LOG_LEVEL": "debug"])
        #expect(config.listen == "0.0.0.0:8443")
        #expect(config.tuning.batchSize == 128)
        #expect(config.logLevel == "debug")
    }

    @Test(arguments: [
        ("\"pin_env\": \"HSM_PIN\", ", "", "pin_file or pin_env"),
        ("\"cluster\": \"primary\"", "\"cluster\": \"west\"", "cluster must be"),
        ("127.0.0.1:7443", "localhost", "listen must be host:port"),
        ("\"sessions\": 4", "\"sessions\": 0", "sessions must be"),
    ])
    func rejectsBadSettings(find: String, replace: String, expected: String) throws {
        let path = try write(Self.minimal.replacingOccurrences(of: find, with: replace))
        do {
            _ = try ServerConfig.load(path: path, environment: [:])
            Issue.record("expected a ConfigError containing \(expected)")
        } catch let error as ConfigError {
            #expect(error.description.contains(expected))
        }
    }
}

@Suite struct ShippedExamplesTests {
    /// The documented examples must stay loadable as the code evolves.
    @Test func exampleConfigAndPolicyLoad() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let config = try ServerConfig.load(path: root.appendingPathComponent("Examples/personahsmd.json").path,
                                           environment: [:])
        #expect(config.backends.filter { $0.cluster == "primary" }.count == 3)
        #expect(config.backends.filter { $0.cluster == "dr" }.count == 2)
        let policy = try AccessPolicy.load(path: root.appendingPathComponent("Examples/policy.json").path)
        #expect(policy.roles(of: "spiffe://personapass.example/svc/issuance-batch-7", fingerprint: "") == ["issuer"])
    }
}
