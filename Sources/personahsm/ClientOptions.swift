// Options every networked `personahsm` command shares: where the server is and which
// certificate to present. Defaults point at the dev environment, so after `personahsmd --dev`
// commands work with no flags.

import ArgumentParsing
import Foundation
import PersonaClient
import RPCCore

enum ClientOptions {
    static let specs: [OptionSpec] = [
        .value("server", "HOST:PORT", help: "Server endpoint; repeat for failover (default 127.0.0.1:7443 or $PERSONAHSM_SERVER)."),
        .value("tls-cert", "PEM", help: "Client certificate (default .personahsm/pki/<role>.pem)."),
        .value("tls-key", "PEM", help: "Client private key (default .personahsm/pki/<role>.key)."),
        .value("tls-ca", "PEM", help: "CA certificate of the server (default .personahsm/pki/ca.pem)."),
        .value("role", "NAME", help: "Dev-environment identity to use: admin, issuer, verifier, auditor (default admin)."),
        .value("dev-root", "DIR", help: "Dev environment folder (default .personahsm)."),
        .value("timeout", "DURATION", help: "Per-call deadline (default 30s)."),
        .flag("json", help: "Print JSON instead of text."),
    ]

    /// Connection settings from the options (dev defaults, then environment, then flags).
    static func settings(_ args: ParsedArguments, defaultRole: String = "admin") throws -> ClientConfiguration {
        let environment = ProcessInfo.processInfo.environment
        let root = args.value("dev-root") ?? environment["PERSONAHSM_DEV_ROOT"] ?? ".personahsm"
        let role = args.value("role") ?? defaultRole
        var servers = args.allValues("server")
        if servers.isEmpty {
            servers = (environment["PERSONAHSM_SERVER"] ?? "127.0.0.1:7443").split(separator: ",").map(String.init)
        }
        var settings = ClientConfiguration.dev(role: role, root: root, endpoint: servers[0])
        settings.endpoints = servers
        if let cert = args.value("tls-cert") { settings.certificate = cert }
        if let key = args.value("tls-key") { settings.privateKey = key }
        if let ca = args.value("tls-ca") { settings.caCertificate = ca }
        settings.defaultTimeout = try args.duration("timeout", default: .seconds(30))
        return settings
    }

    /// Opens a connection, runs `body`, closes.
    static func withConnection<T>(_ args: ParsedArguments, defaultRole: String = "admin",
                                  _ body: (PersonaConnection) async throws -> T) async throws -> T {
        let connection = try PersonaConnection(try settings(args, defaultRole: defaultRole))
        do {
            let result = try await body(connection)
            await connection.close()
            return result
        } catch {
            await connection.close()
            throw error
        }
    }
}

/// Exit codes scripts can rely on (documented in `personahsm --help`).
enum ExitCode {
    static let success: Int32 = 0
    /// The call failed at the server or transport; the RPC status code is printed.
    static let rpcFailure: Int32 = 2
    /// A verification found something invalid (verify, audit verify, verify-credentials).
    static let invalid: Int32 = 3
    /// Bad command line.
    static let usage: Int32 = 64
    /// A local file could not be read or written.
    static let io: Int32 = 74
}

/// A local file that cannot be read or written (exit code 74).
struct LocalFileError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Output helpers.
enum Output {
    static func line(_ text: String) { FileHandle.standardOutput.write(Data((text + "\n").utf8)) }
    static func error(_ text: String) { FileHandle.standardError.write(Data((text + "\n").utf8)) }

    /// Prints a JSON object with sorted keys.
    static func json(_ object: Any) {
        if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) {
            line(String(decoding: data, as: UTF8.self))
        }
    }
}
