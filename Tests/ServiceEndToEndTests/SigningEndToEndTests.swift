// SigningService over the wire: every algorithm's signature is verified in software (SoftCrypto,
// independent of the server's self-check), CRC32C travels both ways, idempotency keys return the
// first signature, batches mix per-item errors with successes, and a stream answers many items
// out of order, matched by request_id. Each returned signature must have its audit record.

import Foundation
import PersonaClient
import PersonaProtos
import RPCCore
import SoftCrypto
import Testing

@Suite("SigningService end to end", .serialized)
struct SigningEndToEndTests {
    static func withServer(_ body: (InProcessServer) async throws -> Void) async throws {
        try await InProcessServer.with(tokenLabel: "e2e-signing", keys: keys + [("sign-aes", .aes256Gcm)], body)
    }

    static let keys: [(String, PersonaProtos.Algorithm)] = [
        ("sign-ed25519", .ed25519), ("sign-p256", .ecdsaP256Sha256), ("sign-rsa-pkcs1", .rsa2048Pkcs1Sha256),
        ("sign-rsa-pss", .rsa2048PssSha256),
    ]

    static func publicKey(_ name: String, on connection: PersonaConnection) async throws -> SoftCrypto.PublicKey {
        try SoftCrypto.PublicKey(spkiDER: try await connection.keys.getPublicKey(GetPublicKeyRequest(name: name)).data)
    }

    @Test("Sign with every algorithm and encoding; signatures verify in software and via Verify")
    func signEveryAlgorithm() async throws {
        try await Self.withServer { server in
            let issuer = try server.connect(as: "issuer")
            let message = Array("credential payload \(UUID())".utf8)
            var cases: [(String, PersonaProtos.Algorithm, SignatureEncoding, SignatureAlgorithm)] = [
                ("sign-ed25519", .ed25519, .default, .ed25519),
                ("sign-p256", .ecdsaP256Sha256, .default, .ecdsaP256SHA256(.raw)),
                ("sign-rsa-pkcs1", .rsa2048Pkcs1Sha256, .default, .rsaPKCS1v15SHA256),
                ("sign-rsa-pss", .rsa2048PssSha256, .default, .rsaPSSSHA256(saltLength: 32)),
            ]
            cases.append(("sign-p256", .ecdsaP256Sha256, .rawRS, .ecdsaP256SHA256(.raw)))
            cases.append(("sign-p256", .ecdsaP256Sha256, .der, .ecdsaP256SHA256(.der)))
            var digests: [String] = []
            for (name, algorithm, encoding, scheme) in cases {
                let response = try await issuer.signing.sign(SignRequest(
                    keyName: name, input: .data(message), inputChecksum: .inputCrc32c(CRC32C.checksum(message)),
                    encoding: encoding, requestId: "r-\(name)"))
                #expect(response.keyName == name && response.version == 1 && response.algorithm == algorithm)
                #expect(response.requestId == "r-\(name)")
                #expect(response.verifiedInputCrc32c)
                #expect(response.signatureCrc32c == CRC32C.checksum(response.signature))
                let key = try await Self.publicKey(name, on: issuer)
                #expect(try key.isValidSignature(response.signature, for: message, algorithm: scheme), "\(name) \(encoding)")
                if encoding == .rawRS || (algorithm == .ecdsaP256Sha256 && encoding == .default) {
                    #expect(response.signature.count == 64)
                }
                if encoding == .der { #expect(response.signature.first == 0x30) }
                let verified = try await issuer.signing.verify(VerifyRequest(keyName: name, input: .data(message),
                                                                             signature: response.signature,
                                                                             encoding: encoding, requestId: "v"))
                #expect(verified.valid && verified.version == 1 && verified.requestId == "v")
                var tampered = response.signature
                tampered[tampered.count / 2] ^= 0x01
                let rejected = try await issuer.signing.verify(VerifyRequest(keyName: name, input: .data(message),
                                                                             signature: tampered, encoding: encoding))
                #expect(!rejected.valid && rejected.version == 0)
                digests.append(SHA256.hash(response.signature).hexString)
            }
            // The P-256 digest form of Verify (a caller-computed SHA-256).
            let p256 = try await issuer.signing.sign(SignRequest(keyName: "sign-p256", input: .data(message)))
            let byDigest = try await issuer.signing.verify(VerifyRequest(keyName: "sign-p256",
                                                                         input: .digestSha256(SHA256.hash(message)),
                                                                         signature: p256.signature))
            #expect(byDigest.valid)
            let audit = try AuditFile(path: server.auditPath)
            for digest in digests { #expect(audit.signatureDigests.contains(digest), "audit record of \(digest)") }
        }
    }

    @Test("input_crc32c mismatch is DATA_LOSS and nothing is signed")
    func checksumMismatch() async throws {
        try await Self.withServer { server in
            let issuer = try server.connect(as: "issuer")
            let message = Array("checksummed".utf8)
            await expectStatus(.dataLoss, reason: "CHECKSUM_MISMATCH") {
                try await issuer.signing.sign(SignRequest(keyName: "sign-ed25519", input: .data(message),
                                                          inputChecksum: .inputCrc32c(CRC32C.checksum(message) ^ 1)))
            }
            let plain = try await issuer.signing.sign(SignRequest(keyName: "sign-ed25519", input: .data(message)))
            #expect(!plain.verifiedInputCrc32c, "no checksum sent, none claimed verified")
        }
    }

    @Test("Idempotency: same key returns the same signature; a different request with it is INVALID_ARGUMENT")
    func idempotency() async throws {
        try await Self.withServer { server in
            let issuer = try server.connect(as: "issuer")
            // ECDSA signatures are randomised: equal bytes prove the second call did not sign again.
            let request = SignRequest(keyName: "sign-p256", input: .data(Array("document-42".utf8)), requestId: "first",
                                      idempotencyKey: "doc-42-\(UUID())")
            let first = try await issuer.signing.sign(request)
            var again = request
            again.requestId = "retry"
            let second = try await issuer.signing.sign(again)
            #expect(second.signature == first.signature)
            #expect(second.requestId == "retry")
            var different = request
            different.input = .data(Array("document-43".utf8))
            await expectStatus(.invalidArgument) { try await issuer.signing.sign(different) }
            // The call-level idempotency key (CallOptions) behaves the same for unary Sign.
            let callKey = "call-\(UUID())"
            let plain = SignRequest(keyName: "sign-p256", input: .data(Array("call-level".utf8)))
            let a = try await issuer.signing.sign(plain, options: CallOptions(idempotencyKey: callKey))
            let b = try await issuer.signing.sign(plain, options: CallOptions(idempotencyKey: callKey))
            #expect(a.signature == b.signature)
            let unkeyedA = try await issuer.signing.sign(plain)
            let unkeyedB = try await issuer.signing.sign(plain)
            #expect(unkeyedA.signature != unkeyedB.signature, "without a key every call signs anew")
        }
    }

    @Test("SignBatch mixes per-item errors with successes, in request order")
    func signBatchMixed() async throws {
        try await Self.withServer { server in
            let issuer = try server.connect(as: "issuer")
            let message = Array("batch item".utf8)
            let requests = [
                SignRequest(keyName: "sign-ed25519", input: .data(message), requestId: "ok-ed"),
                SignRequest(keyName: "no-such-key", input: .data(message), requestId: "missing"),
                SignRequest(keyName: "sign-p256", input: .data(message), encoding: .der, requestId: "ok-der"),
                SignRequest(keyName: "sign-aes", input: .data(message), requestId: "aes"),
                SignRequest(keyName: "sign-p256", input: .digestSha256([1, 2, 3]), requestId: "short-digest"),
                SignRequest(keyName: "sign-rsa-pss", input: .data(message), requestId: "ok-pss"),
                SignRequest(keyName: "sign-ed25519", input: .data(message),
                            inputChecksum: .inputCrc32c(0), requestId: "bad-crc"),
            ]
            let response = try await issuer.signing.signBatch(SignBatchRequest(requests: requests))
            #expect(response.results.map(\.requestId) == requests.map(\.requestId))
            #expect(response.results.map(\.index) == (0..<UInt32(requests.count)).map { $0 })
            func code(_ index: Int) -> PersonaProtos.StatusCode? {
                if case .error(let status) = response.results[index].result { return status.code }
                return nil
            }
            #expect(code(1) == .notFound)
            #expect(code(3) == .failedPrecondition)
            #expect(code(4) == .invalidArgument)
            #expect(code(6) == .dataLoss)
            for (index, name, scheme) in [(0, "sign-ed25519", SignatureAlgorithm.ed25519),
                                          (2, "sign-p256", .ecdsaP256SHA256(.der)),
                                          (5, "sign-rsa-pss", .rsaPSSSHA256(saltLength: 32))] {
                guard case .response(let signed) = response.results[index].result else {
                    Issue.record("item \(index) failed: \(String(describing: response.results[index].result))")
                    continue
                }
                #expect(try await Self.publicKey(name, on: issuer).isValidSignature(signed.signature, for: message,
                                                                                    algorithm: scheme))
            }
        }
    }

    @Test("VerifyBatch: per-item results")
    func verifyBatch() async throws {
        try await Self.withServer { server in
            let issuer = try server.connect(as: "issuer")
            let verifier = try server.connect(as: "verifier")
            let message = Array("verify me".utf8)
            let signed = try await issuer.signing.sign(SignRequest(keyName: "sign-rsa-pkcs1", input: .data(message)))
            let response = try await verifier.signing.verifyBatch(VerifyBatchRequest(requests: [
                VerifyRequest(keyName: "sign-rsa-pkcs1", input: .data(message), signature: signed.signature, requestId: "a"),
                VerifyRequest(keyName: "sign-rsa-pkcs1", input: .data(Array("other".utf8)), signature: signed.signature,
                              requestId: "b"),
                VerifyRequest(keyName: "ghost", input: .data(message), signature: signed.signature, requestId: "c"),
            ]))
            #expect(response.results.map(\.requestId) == ["a", "b", "c"])
            guard response.results.count == 3 else { return }
            if case .response(let ok) = response.results[0].result { #expect(ok.valid && ok.version == 1) } else {
                Issue.record("item 0: \(String(describing: response.results[0].result))")
            }
            if case .response(let bad) = response.results[1].result { #expect(!bad.valid) } else {
                Issue.record("item 1: \(String(describing: response.results[1].result))")
            }
            if case .error(let status) = response.results[2].result { #expect(status.code == .notFound) } else {
                Issue.record("item 2 should be NOT_FOUND")
            }
        }
    }

    @Test("SignStream: many items, answered as they complete, matched by request_id")
    func signStream() async throws {
        try await Self.withServer { server in
            let issuer = try server.connect(as: "issuer")
            let count = 300
            let call = try await issuer.signing.signStream(options: CallOptions())
            let messages = (0..<count).map { Array("stream item \($0)".utf8) }
            let sender = Task {
                for (index, message) in messages.enumerated() {
                    // Alternate algorithms so fast and slow items interleave (RSA is ~10x slower).
                    let key = index % 3 == 0 ? "sign-rsa-pkcs1" : "sign-ed25519"
                    try await call.send(SignRequest(keyName: key, input: .data(message), requestId: "item-\(index)"))
                }
                try await call.closeSend()
            }
            var order: [Int] = []
            var signatures: [Int: SignResponse] = [:]
            for try await result in call.responses {
                guard case .response(let signed) = result.result else {
                    Issue.record("stream item \(result.requestId) failed: \(String(describing: result.result))")
                    continue
                }
                let index = Int(result.requestId.dropFirst("item-".count))!
                #expect(signed.requestId == result.requestId)
                #expect(Int(result.index) == index)
                order.append(index)
                signatures[index] = signed
            }
            try await sender.value
            #expect(signatures.count == count)
            #expect(Set(order) == Set(0..<count))
            let ed = try await Self.publicKey("sign-ed25519", on: issuer)
            let rsa = try await Self.publicKey("sign-rsa-pkcs1", on: issuer)
            for (index, signed) in signatures {
                let valid = index % 3 == 0
                    ? try rsa.isValidSignature(signed.signature, for: messages[index], algorithm: .rsaPKCS1v15SHA256)
                    : try ed.isValidSignature(signed.signature, for: messages[index], algorithm: .ed25519)
                #expect(valid, "item \(index)")
            }
            // Completion order differs from send order when RSA and Ed25519 interleave; report it.
            let inOrder = order == order.sorted()
            print("SignStream: \(count) items, answered \(inOrder ? "in order" : "out of order")")
            let audit = try AuditFile(path: server.auditPath).signatureDigests
            #expect(signatures.values.allSatisfy { audit.contains(SHA256.hash($0.signature).hexString) })
        }
    }
}
