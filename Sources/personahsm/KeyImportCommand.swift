// `personahsm keys import`: bring your own private key. The PKCS#8 is wrapped here under the
// server's import key (fetched with GetPublicKey personahsm-import-key), so it never travels or
// reaches the server in the clear; --plaintext sends it as is, which only dev-mode servers accept.
// OAEP uses SHA-256 unless the server's HSM only has SHA-1 (--oaep auto tries both).

import ArgumentParsing
import Foundation
import PersonaClient
import PersonaProtos
import RPCCore
import SoftCrypto

enum KeyImportCommand {
    /// Reserved key name of the server's import key.
    static let importKeyName = "personahsm-import-key"

    static var command: Command {
        Command("import", summary: "Import a PKCS#8 private key, wrapped under the server's import key",
                usage: "NAME --algorithm ALG --pkcs8 FILE [--oaep auto|sha256|sha1] [--plaintext]",
                options: ClientOptions.specs + [
                    .value("algorithm", "ALG", help: "ed25519, ecdsa-p256, rsa2048-pkcs1, rsa3072-pkcs1, rsa2048-pss, rsa3072-pss"),
                    .value("pkcs8", "FILE", help: "The private key: PKCS#8 DER or PEM (BEGIN PRIVATE KEY)."),
                    .value("oaep", "HASH", help: "OAEP hash of the wrapping: auto (default: sha256, then sha1), sha256, sha1."),
                    .flag("plaintext", help: "Send the key unwrapped (dev-mode servers only; tests and demos)."),
                ]) { args in
            try await run(args) { connection in
                let name = try args.positional(0, "key NAME")
                let text = try args.required("algorithm")
                guard let algorithm = KeyCommands.algorithms[text], algorithm != .aes256Gcm else {
                    throw UsageError("unknown or non-importable algorithm \(text)")
                }
                let pkcs8 = try readPKCS8(try args.required("pkcs8"))
                let hashes: [KeyImportWrapping.OAEPHash]
                switch args.value("oaep") ?? "auto" {
                case "auto": hashes = [.sha256, .sha1]
                case "sha256": hashes = [.sha256]
                case "sha1": hashes = [.sha1]
                case let other: throw UsageError("unknown --oaep \(other); use auto, sha256 or sha1")
                }
                if args.flag("plaintext") {
                    KeyCommands.print(try await connection.keys.importKey(ImportKeyRequest(
                        name: name, purpose: .signVerify, algorithm: algorithm, material: .plaintextPkcs8(pkcs8)),
                        options: options(args)), args)
                    return
                }
                let served = try await connection.keys.getPublicKey(GetPublicKeyRequest(name: importKeyName),
                                                                    options: options(args))
                let importKey = try SoftCrypto.PublicKey(spkiDER: served.data)
                for (index, hash) in hashes.enumerated() {
                    let wrapped = try KeyImportWrapping.wrap(pkcs8: pkcs8, under: importKey, oaepHash: hash)
                    do {
                        KeyCommands.print(try await connection.keys.importKey(ImportKeyRequest(
                            name: name, purpose: .signVerify, algorithm: algorithm, material: .wrappedPkcs8(wrapped)),
                            options: options(args)), args)
                        return
                    } catch let error as RPCError where error.details?.reason == "UNWRAP_FAILED" && index + 1 < hashes.count {
                        continue
                    }
                }
            }
        }
    }

    /// PKCS#8 DER from a DER or PEM file.
    static func readPKCS8(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else { throw LocalFileError("cannot read \(path)") }
        let text = String(decoding: data, as: UTF8.self)
        guard text.hasPrefix("-----BEGIN") else { return Array(data) }
        guard text.contains("-----BEGIN PRIVATE KEY-----") else {
            throw UsageError("\(path): only unencrypted PKCS#8 PEM (BEGIN PRIVATE KEY) is accepted")
        }
        let body = text.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        guard let der = Data(base64Encoded: body) else { throw UsageError("\(path): PEM body is not base64") }
        return Array(der)
    }
}
