// `personahsm sign` and `personahsm verify`: sign a file (or stdin) with a named key, and
// verify a signature. Signatures travel as hex, or raw bytes with --out.

import ArgumentParsing
import Foundation
import PersonaClient
import PersonaProtos
import RPCCore
import SoftCrypto

enum SigningCommands {
    static let inputOptions: [OptionSpec] = [
        .value("key", "NAME", help: "Key name."),
        .value("version", "N", help: "Key version (default: primary for sign, any usable for verify)."),
        .value("in", "FILE", help: "Data to sign or verify (default stdin)."),
        .value("encoding", "ENC", help: "ECDSA signature encoding: raw (r||s, default) or der."),
        .value("digest", "HEX", help: "A SHA-256 digest (64 hex digits) instead of data; not for Ed25519 keys."),
        .flag("prehash", help: "Hash the input with SHA-256 here and send only the digest (not for Ed25519)."),
    ]

    static var sign: Command {
        Command("sign", summary: "Sign a file or stdin (or a SHA-256 digest)",
                usage: "--key NAME [--in FILE | --digest HEX | --prehash] [--out FILE]",
                options: ClientOptions.specs + inputOptions + [
                    .value("out", "FILE", help: "Write the raw signature to FILE (default: hex on stdout)."),
                    .value("idempotency-key", "KEY", help: "Repeat-safe key: a repeat returns the first signature."),
                ]) { args in
            try await run(args, defaultRole: "issuer") { connection in
                let (input, bytes) = try signingInput(args)
                let request = SignRequest(keyName: try args.required("key"), version: try version(args),
                                          input: input, inputChecksum: .inputCrc32c(CRC32C.checksum(bytes)),
                                          encoding: try encoding(args), idempotencyKey: args.value("idempotency-key") ?? "")
                let response = try await connection.signing.sign(request, options: options(args))
                guard CRC32C.checksum(response.signature) == response.signatureCrc32c else {
                    throw RPCError(.dataLoss, "signature_crc32c does not match the signature received")
                }
                if let out = args.value("out") { try Data(response.signature).write(to: URL(fileURLWithPath: out)) }
                if args.flag("json") {
                    Output.json(["key": response.keyName, "version": response.version,
                                 "signature": response.signature.hexString,
                                 "verification_method": response.verificationMethod])
                } else if args.value("out") == nil {
                    Output.line(response.signature.hexString)
                }
            }
        }
    }

    static var verify: Command {
        Command("verify", summary: "Verify a signature", usage: "--key NAME --signature HEX|--signature-file FILE [--in FILE]",
                options: ClientOptions.specs + inputOptions + [
                    .value("signature", "HEX", help: "Signature as hex."),
                    .value("signature-file", "FILE", help: "Raw signature file."),
                ]) { args in
            var valid = false
            let status = try await run(args, defaultRole: "verifier") { connection in
                let signature: [UInt8]
                if let hex = args.value("signature") {
                    guard let bytes = [UInt8](hexString: hex) else { throw UsageError("--signature is not hex") }
                    signature = bytes
                } else if let file = args.value("signature-file") {
                    signature = Array(try Data(contentsOf: URL(fileURLWithPath: file)))
                } else {
                    throw UsageError("give --signature or --signature-file")
                }
                let (input, _) = try signingInput(args)
                let verifyInput: VerifyRequest.Input = switch input {
                case .data(let data): .data(data)
                case .digestSha256(let digest): .digestSha256(digest)
                }
                let response = try await connection.signing.verify(VerifyRequest(
                    keyName: try args.required("key"), version: try version(args), input: verifyInput,
                    signature: signature, encoding: try encoding(args)), options: options(args))
                valid = response.valid
                if args.flag("json") {
                    Output.json(["valid": response.valid, "version": response.version])
                } else {
                    Output.line(response.valid ? "valid (version \(response.version))" : "INVALID")
                }
            }
            return status == 0 && !valid ? ExitCode.invalid : status
        }
    }

    static func readInput(_ args: ParsedArguments) throws -> [UInt8] {
        if let path = args.value("in"), path != "-" {
            guard let data = FileManager.default.contents(atPath: path) else { throw LocalFileError("cannot read \(path)") }
            return Array(data)
        }
        return Array(FileHandle.standardInput.readDataToEndOfFile())
    }

    /// The data to sign, or its SHA-256 digest (--digest HEX, or --prehash of the input), plus the
    /// bytes whose CRC32C travels with the request.
    static func signingInput(_ args: ParsedArguments) throws -> (SignRequest.Input, [UInt8]) {
        if let hex = args.value("digest") {
            guard let digest = [UInt8](hexString: hex), digest.count == 32 else {
                throw UsageError("--digest must be 64 hex digits (a SHA-256 digest)")
            }
            return (.digestSha256(digest), digest)
        }
        let data = try readInput(args)
        if args.flag("prehash") {
            let digest = SHA256.hash(data)
            return (.digestSha256(digest), digest)
        }
        return (.data(data), data)
    }

    static func version(_ args: ParsedArguments) throws -> UInt32 {
        UInt32(try args.integer("version", default: 0, range: 0...Int(UInt32.max)))
    }

    static func encoding(_ args: ParsedArguments) throws -> SignatureEncoding {
        switch args.value("encoding") {
        case nil: return .default
        case "raw": return .rawRS
        case "der": return .der
        case let other?: throw UsageError("unknown --encoding \(other); use raw or der")
        }
    }
}
