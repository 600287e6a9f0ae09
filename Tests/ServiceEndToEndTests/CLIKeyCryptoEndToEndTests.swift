// The `personahsm` CLI against a real server for the options that go with ImportKey, digest
// signing and per-credential keys: `keys import` wraps a Python-generated RSA key locally (Swift
// RSA-OAEP + AES-KWP, so this also proves our wrapping matches what the token unwraps), `sign
// --prehash`/`--digest` produce signatures that verify over the message, and `encrypt
// --credential-id` envelopes decrypt with plain `decrypt`. The CLI runs as a child process on a
// thread of its own, never on the cooperative pool the in-process server needs.

import Foundation
import PersonaProtos
import RPCCore
import SoftCrypto
import TestSupport
import Testing

@Suite("personahsm CLI: import, digest signing, per-credential keys", .serialized)
struct CLIKeyCryptoEndToEndTests {
    /// Runs `personahsm` as `role` against `server`.
    static func cli(_ server: InProcessServer, role: String = "admin", _ arguments: [String]) async throws -> SubprocessResult {
        let binary = try ServerProcess.binary("personahsm")
        let all = arguments + ["--server", server.endpoint, "--tls-cert", server.root + "/pki/\(role).pem",
                               "--tls-key", server.root + "/pki/\(role).key", "--tls-ca", server.root + "/pki/ca.pem"]
        return try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try Subprocess.run(binary, all) }) }.start()
        }
    }

    @Test("keys import (wrapped and --plaintext), sign --prehash/--digest, encrypt/decrypt --credential-id")
    func cliOptions() async throws {
        try await InProcessServer.with(tokenLabel: "e2e-cli-gaps") { server in
            let folder = server.root + "/cli"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let suffix = UInt32.random(in: 0...UInt32.max)
            // A key made by an independent implementation; the import key is only needed by
            // import_wrap.py's own wrapping, which this test does not use.
            let admin = try server.connect(as: "admin")
            let importKey = try await admin.keys.getPublicKey(GetPublicKeyRequest(name: "personahsm-import-key", format: .spkiPem))
            try Data(importKey.data).write(to: URL(fileURLWithPath: folder + "/import.pem"))
            let generated = try Subprocess.python("import_wrap.py", arguments: ["wrap", folder + "/import.pem", folder, "rsa", "2048"])
            #expect(generated.status == 0, "\(generated.stdout)\(generated.stderr)")

            let name = "cli-imported-\(suffix)"
            let imported = try await Self.cli(server, ["keys", "import", name, "--algorithm", "rsa2048-pss",
                                                       "--pkcs8", folder + "/key.pkcs8", "--json"])
            #expect(imported.status == 0, "\(imported.stderr)")
            #expect(imported.stdout.contains(name))
            let spki = Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/public.der")))
            let served = try await admin.keys.getPublicKey(GetPublicKeyRequest(name: name))
            #expect(served.data == spki, "the CLI's wrapping delivered the Python key into the token")

            let message = Array("signed by digest from the CLI \(suffix)".utf8)
            try Data(message).write(to: URL(fileURLWithPath: folder + "/message.txt"))
            let publicKey = try SoftCrypto.PublicKey(spkiDER: spki)
            let prehashed = try await Self.cli(server, role: "issuer", ["sign", "--key", name, "--prehash", "--in", folder + "/message.txt"])
            #expect(prehashed.status == 0, "\(prehashed.stderr)")
            let signature = [UInt8](hexString: prehashed.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? []
            #expect(try publicKey.isValidSignature(signature, for: message, algorithm: .rsaPSSSHA256(saltLength: 32)))
            let digestHex = SHA256.hash(message).hexString
            let byDigest = try await Self.cli(server, role: "issuer", ["sign", "--key", name, "--digest", digestHex])
            let signature2 = [UInt8](hexString: byDigest.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? []
            #expect(try publicKey.isValidSignature(signature2, for: message, algorithm: .rsaPSSSHA256(saltLength: 32)))
            let verified = try await Self.cli(server, role: "verifier", ["verify", "--key", name, "--in", folder + "/message.txt",
                                                                         "--signature", signature2.hexString])
            #expect(verified.status == 0 && verified.stdout.contains("valid (version 1)"), "\(verified.stdout)\(verified.stderr)")
            let badDigest = try await Self.cli(server, role: "issuer", ["sign", "--key", name, "--digest", "abcd"])
            #expect(badDigest.status == 64 && badDigest.stderr.contains("64 hex digits"), "\(badDigest.stderr)")

            let software = try SoftwareSigningKey.generate(.ed25519)
            try software.pemRepresentation.write(toFile: folder + "/ed.pem", atomically: true, encoding: .utf8)
            let plain = try await Self.cli(server, ["keys", "import", "cli-ed-\(suffix)", "--algorithm", "ed25519",
                                                    "--pkcs8", folder + "/ed.pem", "--plaintext"])
            #expect(plain.status == 0, "\(plain.stderr)")
            let edSigned = try await admin.signing.sign(SignRequest(keyName: "cli-ed-\(suffix)", input: .data(message)))
            #expect(edSigned.signature == (try software.sign(message)))

            let master = "cli-master-\(suffix)"
            let created = try await Self.cli(server, ["keys", "create", master, "--algorithm", "aes256-gcm", "--derive", "--json"])
            #expect(created.status == 0 && created.stdout.contains("derive"), "\(created.stdout)\(created.stderr)")
            let sealed = try await Self.cli(server, role: "issuer", ["encrypt", "--key", master, "--credential-id", "cred-9",
                                                                     "--aad", "hdr", "--in", folder + "/message.txt",
                                                                     "--out", folder + "/envelope.json"])
            #expect(sealed.status == 0, "\(sealed.stderr)")
            let opened = try await Self.cli(server, role: "issuer", ["decrypt", "--aad", "hdr", "--in", folder + "/envelope.json"])
            #expect(opened.status == 0 && Array(opened.stdout.utf8) == message, "\(opened.stderr)")
            let wrongCredential = try await Self.cli(server, role: "issuer", ["decrypt", "--aad", "hdr", "--credential-id", "cred-8",
                                                                              "--in", folder + "/envelope.json"])
            #expect(wrongCredential.status == 2 && wrongCredential.stderr.contains("INVALID_ARGUMENT"), "\(wrongCredential.stderr)")
        }
    }
}
