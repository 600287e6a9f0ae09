// Signing a caller-computed SHA-256 digest (`digest_sha256`). The signature of digest(M) must be a
// valid signature of M itself: checked with OpenSSL in process (SoftCrypto over the message),
// with Python cryptography (hsm_verify.py over the message) and with the Verify RPC given M.
// Batches mix digest items, message items and malformed ones; the per-backend HSM latency
// histograms in /metrics name the backend and the operation kind.

import Foundation
import PersonaClient
import PersonaProtos
import RPCCore
import SoftCrypto
import TestSupport
import Testing

@Suite("Digest signing and HSM latency metrics end to end", .serialized)
struct DigestSigningEndToEndTests {
    static let keys: [(String, PersonaProtos.Algorithm)] = [
        ("digest-p256", .ecdsaP256Sha256), ("digest-rsa-pkcs1", .rsa2048Pkcs1Sha256), ("digest-rsa-pss", .rsa2048PssSha256),
        ("digest-ed25519", .ed25519),
    ]

    @Test("digest_sha256 with ECDSA (raw and DER), RSA PKCS#1 and PSS verifies over the message everywhere")
    func digestSignaturesVerifyOverTheMessage() async throws {
        try await InProcessServer.with(tokenLabel: "e2e-digest", keys: Self.keys) { server in
            let issuer = try server.connect(as: "issuer")
            let message = Array("a large document hashed by the caller \(UUID())".utf8)
            let digest = SHA256.hash(message)
            let cases: [(String, SignatureEncoding, SignatureAlgorithm, String)] = [
                ("digest-p256", .default, .ecdsaP256SHA256(.raw), "ecdsaP256SHA256"),
                ("digest-p256", .der, .ecdsaP256SHA256(.der), "ecdsaP256SHA256DER"),
                ("digest-rsa-pkcs1", .default, .rsaPKCS1v15SHA256, "rsaPKCS1SHA256"),
                ("digest-rsa-pss", .default, .rsaPSSSHA256(saltLength: 32), "rsaPSSSHA256"),
            ]
            var python = ""
            for (name, encoding, scheme, alg) in cases {
                let signed = try await issuer.signing.sign(SignRequest(keyName: name, input: .digestSha256(digest),
                                                                       inputChecksum: .inputCrc32c(CRC32C.checksum(digest)),
                                                                       encoding: encoding, requestId: "d-\(alg)"))
                #expect(signed.verifiedInputCrc32c && signed.version == 1 && signed.requestId == "d-\(alg)")
                #expect(signed.signatureCrc32c == CRC32C.checksum(signed.signature))
                let spki = try await issuer.keys.getPublicKey(GetPublicKeyRequest(name: name)).data
                let publicKey = try SoftCrypto.PublicKey(spkiDER: spki)
                #expect(try publicKey.isValidSignature(signed.signature, for: message, algorithm: scheme), "\(alg) over M")
                #expect(try !publicKey.isValidSignature(signed.signature, for: message + [0], algorithm: scheme))
                let verified = try await issuer.signing.verify(VerifyRequest(keyName: name, input: .data(message),
                                                                             signature: signed.signature, encoding: encoding))
                #expect(verified.valid && verified.version == 1, "Verify over M accepts the digest signature (\(alg))")
                python += "{\"alg\":\"\(alg)\",\"spki\":\"\(spki.hexString)\",\"msg\":\"\(message.hexString)\","
                    + "\"sig\":\"\(signed.signature.hexString)\"}\n"
            }
            let (status, output) = try PythonCheck.runPython(script: "Tests/interop/hsm_verify.py", input: python)
            #expect(status == 0 && output.contains("verified 4"), "\(output)")

            // PKCS#1 v1.5 is deterministic: the digest form gives the same bytes as the message form.
            let fromDigest = try await issuer.signing.sign(SignRequest(keyName: "digest-rsa-pkcs1", input: .digestSha256(digest)))
            let fromMessage = try await issuer.signing.sign(SignRequest(keyName: "digest-rsa-pkcs1", input: .data(message)))
            #expect(fromDigest.signature == fromMessage.signature)

            await expectStatus(.invalidArgument, reason: "DIGEST_NOT_SUPPORTED", "Ed25519 with a digest") {
                try await issuer.signing.sign(SignRequest(keyName: "digest-ed25519", input: .digestSha256(digest)))
            }
            await expectStatus(.invalidArgument, reason: "MALFORMED_DIGEST", "33-byte digest") {
                try await issuer.signing.sign(SignRequest(keyName: "digest-p256", input: .digestSha256(digest + [0])))
            }
            await expectStatus(.dataLoss, reason: "CHECKSUM_MISMATCH") {
                try await issuer.signing.sign(SignRequest(keyName: "digest-p256", input: .digestSha256(digest),
                                                          inputChecksum: .inputCrc32c(CRC32C.checksum(digest) ^ 1)))
            }
            await expectStatus(.invalidArgument, "DER encoding on an RSA key") {
                try await issuer.signing.sign(SignRequest(keyName: "digest-rsa-pss", input: .digestSha256(digest), encoding: .der))
            }
            await expectStatus(.notFound) {
                try await issuer.signing.sign(SignRequest(keyName: "no-such-key", input: .digestSha256(digest)))
            }
            await expectStatus(.permissionDenied, "verifier may not sign") {
                let verifier = try server.connect(as: "verifier")
                return try await verifier.signing.sign(SignRequest(keyName: "digest-p256", input: .digestSha256(digest)))
            }
        }
    }

    @Test("SignBatch mixes digest items, message items and a malformed digest; metrics per backend and op")
    func batchAndMetrics() async throws {
        try await InProcessServer.with(tokenLabel: "e2e-digest", keys: Self.keys) { server in
            let issuer = try server.connect(as: "issuer")
            let messages = (0..<6).map { Array("batch item \($0)".utf8) }
            var requests = messages.enumerated().map { index, message in
                SignRequest(keyName: index % 2 == 0 ? "digest-p256" : "digest-rsa-pss",
                            input: index < 4 ? .digestSha256(SHA256.hash(message)) : .data(message), requestId: "item-\(index)")
            }
            requests.append(SignRequest(keyName: "digest-p256", input: .digestSha256([1, 2, 3]), requestId: "bad"))
            let response = try await issuer.signing.signBatch(SignBatchRequest(requests: requests))
            #expect(response.results.count == 7)
            let p256 = try SoftCrypto.PublicKey(spkiDER: try await issuer.keys.getPublicKey(GetPublicKeyRequest(name: "digest-p256")).data)
            let pss = try SoftCrypto.PublicKey(spkiDER: try await issuer.keys.getPublicKey(GetPublicKeyRequest(name: "digest-rsa-pss")).data)
            for (index, result) in response.results.prefix(6).enumerated() {
                guard case .response(let signed) = result.result else {
                    Issue.record("item \(index) failed: \(result)")
                    continue
                }
                let (key, scheme): (SoftCrypto.PublicKey, SignatureAlgorithm) = index % 2 == 0
                    ? (p256, .ecdsaP256SHA256(.raw)) : (pss, .rsaPSSSHA256(saltLength: 32))
                #expect(try key.isValidSignature(signed.signature, for: messages[index], algorithm: scheme))
                #expect(result.requestId == "item-\(index)" && result.index == UInt32(index))
            }
            guard case .error(let status) = response.results[6].result else {
                Issue.record("the malformed digest succeeded")
                return
            }
            #expect(status.code == .invalidArgument && status.details?.reason == "MALFORMED_DIGEST")

            let text = server.server.metrics.render()
            #expect(text.contains("# TYPE personahsm_hsm_operation_seconds histogram"))
            for operation in ["sign", "sign_digest"] {
                let line = text.split(separator: "\n").first {
                    $0.hasPrefix("personahsm_hsm_operation_seconds_count{backend=\"softhsm-test\",operation=\"\(operation)\","
                                 + "outcome=\"ok\"}")
                }
                let count = line.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
                #expect(count >= 2, "per-backend histogram for \(operation): \(String(describing: line))")
            }
            #expect(text.contains("personahsm_hsm_operation_seconds_bucket{backend=\"softhsm-test\",operation=\"sign_digest\""))
        }
    }
}
