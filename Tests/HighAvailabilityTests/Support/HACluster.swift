// The dev topology (3 primary + 2 DR SoftHSM2 nodes) in a temp folder, driven through the
// fault-injecting PKCS#11 module: every node's worker processes read their own fault file, so a
// test can hang, remove or break one node, a cluster, or all of them, and heal them again, while
// real personahsmd processes serve real clients on loopback. The dev root is made by running
// `personahsmd --dev` once (token, PKI, policy, audit key), then its config is rewritten to load
// the nodes through libp11fault.so.

import Foundation
import PersonaClient
import PersonaServer
import TestSupport

/// A dev-topology HSM cluster plus the config that reaches it through the fault module.
final class HACluster: Sendable {
    static let primaries = (1...DevEnvironment.primaryNodes).map { "primary-\($0)" }
    static let drs = (1...DevEnvironment.drNodes).map { "dr-\($0)" }
    static var nodes: [String] { primaries + drs }

    let root: String
    var configPath: String { root + "/ha.json" }

    /// Prepares a fresh cluster in a temp folder.
    init() throws {
        root = NSTemporaryDirectory() + "personahsm-ha-\(UInt32.random(in: 0...UInt32.max))"
        let first = try DaemonProcess(executable: DaemonProcess.binary("personahsmd"),
                                      arguments: ["--dev", "--dev-root", root, "--listen", "127.0.0.1:0",
                                                  "--ops-listen", "127.0.0.1:0"])
        guard first.waitForLine(containing: "personahsmd listening on", timeout: .seconds(90)) != nil else {
            first.kill9()
            throw DaemonProcessError("personahsmd --dev did not start: \(first.output)")
        }
        first.terminate()
        var config = try JSONDecoder().decode(ServerConfig.self,
                                              from: Data(contentsOf: URL(fileURLWithPath: root + "/personahsmd.json")))
        try FileManager.default.createDirectory(atPath: root + "/faults", withIntermediateDirectories: true)
        for index in config.backends.indices {
            let name = config.backends[index].name
            config.backends[index].module = FaultModuleLibrary.path
            config.backends[index].environment?["P11FAULT_MODULE"] = "/usr/lib/softhsm/libsofthsm2.so"
            config.backends[index].environment?["P11FAULT_CONFIG"] = faultFile(name)
            try "".write(toFile: faultFile(name), atomically: true, encoding: .utf8)
        }
        config.logLevel = "warning"
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(config).write(to: URL(fileURLWithPath: configPath))
    }

    func faultFile(_ node: String) -> String { root + "/faults/\(node).conf" }

    /// Writes a variant of the cluster's config as `<name>.json` and returns its path.
    func writeConfig(named name: String, _ change: (inout ServerConfig) -> Void) throws -> String {
        var config = try JSONDecoder().decode(ServerConfig.self, from: Data(contentsOf: URL(fileURLWithPath: configPath)))
        change(&config)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let path = root + "/\(name).json"
        try encoder.encode(config).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Replaces `node`'s fault settings (e.g. `["fault": "hang"]`; empty heals it). Atomic: the
    /// module never reads a half-written file.
    func setFault(_ node: String, _ settings: [String: String]) throws {
        let text = settings.sorted { $0.key < $1.key }.map { "\($0.key) = \($0.value)\n" }.joined()
        let temporary = faultFile(node) + ".tmp"
        try text.write(toFile: temporary, atomically: false, encoding: .utf8)
        guard rename(temporary, faultFile(node)) == 0 else { throw DaemonProcessError("cannot write \(faultFile(node))") }
    }

    /// Starts a personahsmd on the cluster (kernel-chosen ports).
    /// - Parameter configPath: another config than ``configPath`` (see ``writeConfig(named:_:)``).
    func startServer(auditPath: String? = nil, configPath: String? = nil) throws -> HAServer {
        var environment: [String: String] = [:]
        if let auditPath { environment["PERSONAHSM_AUDIT_PATH"] = auditPath }
        let process = try DaemonProcess(executable: DaemonProcess.binary("personahsmd"),
                                        arguments: ["--config", configPath ?? self.configPath, "--listen", "127.0.0.1:0",
                                                    "--ops-listen", "127.0.0.1:0", "--maintenance-interval", "1s"],
                                        environment: environment)
        guard let line = process.waitForLine(containing: "personahsmd listening on", timeout: .seconds(90)) else {
            process.kill9()
            throw DaemonProcessError("personahsmd did not start: \(process.output)")
        }
        // "personahsmd listening on HOST:PORT (ops port N)"
        let words = line.split(separator: " ")
        guard let endpoint = words.dropFirst(3).first, let ops = words.last.flatMap({ Int($0.dropLast()) }) else {
            process.kill9()
            throw DaemonProcessError("unexpected start line: \(line)")
        }
        return HAServer(process: process, endpoint: String(endpoint), opsPort: ops,
                        auditPath: auditPath ?? root + "/audit/audit.log")
    }

    /// A client of `role` failing over between `endpoints` in order.
    func connect(role: String, endpoints: [String], timeout: Duration = .seconds(10)) throws -> PersonaConnection {
        try PersonaConnection(ClientConfiguration(endpoints: endpoints, certificate: root + "/pki/\(role).pem",
                                                  privateKey: root + "/pki/\(role).key",
                                                  caCertificate: root + "/pki/ca.pem", defaultTimeout: timeout))
    }

    /// Removes the folder (servers must be stopped).
    func remove() {
        try? FileManager.default.removeItem(atPath: root)
    }
}

/// One personahsmd of an ``HACluster``.
struct HAServer: Sendable {
    let process: DaemonProcess
    let endpoint: String
    let opsPort: Int
    let auditPath: String

    /// GET `path` on the ops port (status line dropped).
    func ops(_ path: String) throws -> String {
        try Subprocess.run("/usr/bin/env", ["curl", "-s", "--max-time", "5", "http://127.0.0.1:\(opsPort)\(path)"]).stdout
    }

    /// The `personahsm_backend_completed` gauge of `node` (published every second).
    func completed(on node: String) throws -> Double {
        let prefix = "personahsm_backend_completed{backend=\"\(node)\"} "
        guard let line = try ops("/metrics").split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) else { return 0 }
        return Double(line.dropFirst(prefix.count)) ?? 0
    }
}
