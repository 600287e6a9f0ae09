// `personahsm keys …`: create, import, list, show, public-key, rotate, enable, disable, destroy,
// cancel-destroy.

import ArgumentParsing
import Foundation
import PersonaClient
import PersonaProtos
import RPCCore

enum KeyCommands {
    static let algorithms: [String: Algorithm] = [
        "ed25519": .ed25519, "ecdsa-p256": .ecdsaP256Sha256, "rsa2048-pkcs1": .rsa2048Pkcs1Sha256,
        "rsa3072-pkcs1": .rsa3072Pkcs1Sha256, "rsa2048-pss": .rsa2048PssSha256, "rsa3072-pss": .rsa3072PssSha256,
        "aes256-gcm": .aes256Gcm,
    ]

    static var group: Command {
        Command("keys", summary: "Create and manage keys", subcommands: [
            Command("create", summary: "Create a key inside the HSM", usage: "NAME --algorithm ALG [options]",
                    options: ClientOptions.specs + [
                        .value("algorithm", "ALG", help: "ed25519, ecdsa-p256, rsa2048-pkcs1, rsa3072-pkcs1, rsa2048-pss, rsa3072-pss, aes256-gcm"),
                        .value("rotation-days", "DAYS", help: "Automatic rotation period (default: server default, 90)."),
                        .flag("no-rotation", help: "Never rotate automatically."),
                        .flag("allow-backup", help: "Allow wrapping under the backup key."),
                        .flag("derive", help: "aes256-gcm only: a DERIVE master key for per-credential keys (--credential-id)."),
                    ]) { args in
                try await run(args) { connection in
                    let name = try args.positional(0, "key NAME")
                    let text = try args.required("algorithm")
                    guard let algorithm = algorithms[text] else {
                        throw UsageError("unknown algorithm \(text); use one of \(algorithms.keys.sorted().joined(separator: ", "))")
                    }
                    let days = try args.integer("rotation-days", default: 0, range: 0...3650)
                    let purpose: KeyPurpose = args.flag("derive") ? .derive : .unspecified
                    let key = try await connection.keys.createKey(CreateKeyRequest(
                        name: name, purpose: purpose, algorithm: algorithm, rotationPeriodSeconds: UInt64(days) * 86_400,
                        disableRotation: args.flag("no-rotation"), allowBackup: args.flag("allow-backup")), options: options(args))
                    print(key, args)
                }
            },
            KeyImportCommand.command,
            Command("list", summary: "List keys", options: ClientOptions.specs + [.value("prefix", "TEXT", help: "Name prefix.")]) { args in
                try await run(args) { connection in
                    var token = ""
                    var all: [Key] = []
                    repeat {
                        let page = try await connection.keys.listKeys(ListKeysRequest(
                            pageSize: 500, pageToken: token, namePrefix: args.value("prefix") ?? ""), options: options(args))
                        all += page.keys
                        token = page.nextPageToken
                    } while !token.isEmpty
                    if args.flag("json") {
                        Output.json(all.map(KeyFormatting.dictionary))
                    } else {
                        for key in all { Output.line(KeyFormatting.summary(key)) }
                    }
                }
            },
            Command("show", summary: "Show a key and its versions", usage: "NAME", options: ClientOptions.specs) { args in
                try await run(args) { connection in
                    print(try await connection.keys.getKey(GetKeyRequest(name: try args.positional(0, "key NAME")),
                                                           options: options(args)), args)
                }
            },
            Command("public-key", summary: "Export a public key", usage: "NAME [--version N] [--format pem|der|jwk|raw]",
                    options: ClientOptions.specs + [.value("version", "N", help: "Version (default primary)."),
                                                    .value("format", "FMT", help: "pem (default), der, jwk, raw."),
                                                    .value("out", "FILE", help: "Write to a file instead of stdout.")]) { args in
                try await run(args) { connection in
                    let formats: [String: PublicKeyFormat] = ["pem": .spkiPem, "der": .spkiDer, "jwk": .jwk, "raw": .raw]
                    guard let format = formats[args.value("format") ?? "pem"] else { throw UsageError("unknown --format") }
                    let key = try await connection.keys.getPublicKey(GetPublicKeyRequest(
                        name: try args.positional(0, "key NAME"),
                        version: UInt32(try args.integer("version", default: 0, range: 0...Int(UInt32.max))),
                        format: format), options: options(args))
                    if let out = args.value("out") {
                        try Data(key.data).write(to: URL(fileURLWithPath: out))
                    } else if format == .spkiPem || format == .jwk {
                        Output.line(String(decoding: key.data, as: UTF8.self))
                    } else {
                        Output.line(key.data.map { String(format: "%02x", $0) }.joined())
                    }
                    if !key.didKey.isEmpty, !args.flag("json") { Output.error("did:key \(key.didKey)") }
                }
            },
            versionCommand("rotate", "Create a new version and make it primary", needsVersion: false) { c, name, _, args in
                try await c.keys.rotateKey(RotateKeyRequest(name: name), options: options(args))
            },
            versionCommand("enable", "Enable a version (0 or omitted: every disabled version)", needsVersion: false) { c, name, v, args in
                try await c.keys.enableKeyVersion(KeyVersionRef(name: name, version: v), options: options(args))
            },
            versionCommand("disable", "Disable a version (0 or omitted: every version)", needsVersion: false) { c, name, v, args in
                try await c.keys.disableKeyVersion(KeyVersionRef(name: name, version: v), options: options(args))
            },
            versionCommand("destroy", "Schedule destruction of a version (after --wait-days, default: the server's 30)",
                           needsVersion: true, extra: [.value("wait-days", "DAYS", help: "Waiting period.")]) { c, name, v, args in
                let days = try args.integer("wait-days", default: 0, range: 0...3650)
                return try await c.keys.scheduleDestruction(ScheduleDestructionRequest(
                    name: name, version: v, waitSeconds: UInt64(days) * 86_400), options: options(args))
            },
            versionCommand("cancel-destroy", "Cancel a scheduled destruction", needsVersion: true) { c, name, v, args in
                try await c.keys.cancelDestruction(KeyVersionRef(name: name, version: v), options: options(args))
            },
        ])
    }

    static func versionCommand(_ name: String, _ summary: String, needsVersion: Bool, extra: [OptionSpec] = [],
                               _ call: @escaping @Sendable (PersonaConnection, String, UInt32, ParsedArguments) async throws -> Key)
        -> Command
    {
        Command(name, summary: summary, usage: "NAME" + (needsVersion ? " --version N" : " [--version N]"),
                options: ClientOptions.specs + [.value("version", "N", help: "Key version.")] + extra) { args in
            try await run(args) { connection in
                let version = try args.integer("version", default: 0, range: 0...Int(UInt32.max))
                if needsVersion, version == 0 { throw UsageError("--version is required") }
                print(try await call(connection, try args.positional(0, "key NAME"), UInt32(version), args), args)
            }
        }
    }

    static func print(_ key: Key, _ args: ParsedArguments) {
        if args.flag("json") { Output.json(KeyFormatting.dictionary(key)) } else { Output.line(KeyFormatting.details(key)) }
    }
}

/// Runs a networked command: maps RPC failures to exit code 2 with `CODE: message` on stderr.
func run(_ args: ParsedArguments, defaultRole: String = "admin",
         _ body: (PersonaConnection) async throws -> Void) async throws -> Int32 {
    do {
        try await ClientOptions.withConnection(args, defaultRole: defaultRole, body)
        return ExitCode.success
    } catch let error as LocalFileError {
        Output.error("error: \(error)")
        return ExitCode.io
    } catch let error as RPCError {
        if args.flag("json") {
            Output.json(["error": ["code": error.code.description, "message": error.message,
                                   "reason": error.details?.reason ?? ""]])
        }
        Output.error("error: \(error.code): \(error.message)")
        return ExitCode.rpcFailure
    }
}

/// Call options from the command line.
func options(_ args: ParsedArguments) -> CallOptions {
    CallOptions(timeout: try? args.duration("timeout", default: .seconds(30)))
}
