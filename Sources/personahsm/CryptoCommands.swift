// `personahsm encrypt` / `decrypt`: AES-256-GCM under an HSM key. The ciphertext file holds a
// small JSON envelope (key, version, iv, ciphertext in base64, and the credential id when a
// per-credential key was used) so decrypt needs nothing else.

import ArgumentParsing
import Foundation
import PersonaClient
import PersonaProtos
import RPCCore

enum CryptoCommands {
    static let common: [OptionSpec] = [
        .value("key", "NAME", help: "AES-256-GCM key name."),
        .value("in", "FILE", help: "Input (default stdin)."),
        .value("out", "FILE", help: "Output (default stdout)."),
        .value("aad", "TEXT", help: "Associated data (authenticated, not encrypted)."),
        .value("credential-id", "ID", help: "With a DERIVE master key: the credential whose key is derived in the HSM."),
    ]

    static var encrypt: Command {
        Command("encrypt", summary: "Encrypt with AES-256-GCM in the HSM", usage: "--key NAME [--credential-id ID] [--in FILE] [--out FILE] [--aad TEXT]",
                options: ClientOptions.specs + common) { args in
            try await run(args, defaultRole: "issuer") { connection in
                let response = try await connection.crypto.encrypt(EncryptRequest(
                    keyName: try args.required("key"), plaintext: try SigningCommands.readInput(args),
                    associatedData: Array((args.value("aad") ?? "").utf8), credentialId: args.value("credential-id") ?? ""),
                    options: options(args))
                var envelope: [String: Any] = ["key": response.keyName, "version": response.version,
                                               "iv": Data(response.iv).base64EncodedString(),
                                               "ciphertext": Data(response.ciphertext).base64EncodedString()]
                if let credential = args.value("credential-id") { envelope["credential_id"] = credential }
                try write(try JSONSerialization.data(withJSONObject: envelope, options: [.sortedKeys]), args)
            }
        }
    }

    static var decrypt: Command {
        Command("decrypt", summary: "Decrypt an envelope made by encrypt", usage: "[--in FILE] [--out FILE] [--aad TEXT] [--credential-id ID]",
                options: ClientOptions.specs + common) { args in
            try await run(args, defaultRole: "issuer") { connection in
                guard let envelope = try JSONSerialization.jsonObject(with: Data(try SigningCommands.readInput(args)))
                        as? [String: Any],
                      let key = envelope["key"] as? String, let version = envelope["version"] as? Int,
                      let iv = (envelope["iv"] as? String).flatMap({ Data(base64Encoded: $0) }),
                      let ciphertext = (envelope["ciphertext"] as? String).flatMap({ Data(base64Encoded: $0) }) else {
                    throw UsageError("input is not an envelope made by 'personahsm encrypt'")
                }
                let response = try await connection.crypto.decrypt(DecryptRequest(
                    keyName: args.value("key") ?? key, version: UInt32(version), iv: Array(iv),
                    ciphertext: Array(ciphertext), associatedData: Array((args.value("aad") ?? "").utf8),
                    credentialId: args.value("credential-id") ?? envelope["credential_id"] as? String ?? ""),
                    options: options(args))
                try write(Data(response.plaintext), args)
            }
        }
    }

    static func write(_ data: Data, _ args: ParsedArguments) throws {
        if let out = args.value("out"), out != "-" {
            try data.write(to: URL(fileURLWithPath: out))
        } else {
            FileHandle.standardOutput.write(data)
        }
    }
}
