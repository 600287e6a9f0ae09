// The operations added for digest signing and per-credential keys, through the scheduler in both
// worker modes (so the process framing carries them): digest signatures verify over the original
// message with OpenSSL and Python, per-credential keys derived in one mode open boxes sealed in the
// other (the derivation is deterministic and inside the token), the completion observer reports
// backend and operation kind, and the derived-key cache stays bounded, least recently used out.

import Foundation
@testable import HSMScheduler
import PKCS11
import SoftCrypto
import Synchronization
import TestSupport
import Testing

@Suite("Digest signing and derived-key operations", .serialized)
struct DigestAndDerivedOperationsTests {
    static let label = "sched-digest-derive"

    static func deriveKey() throws -> KeyReference {
        let id = TestHSM.newID()
        let session = try TestHSM.token(label).openSession()
        _ = try session.generateKey(.aes256, options: KeyOptions(id: id, label: "master", secretUsage: .derive))
        return KeyReference(id: id)
    }

    @Test("signDigest, encryptDerived and decryptDerived in threads and processes", arguments: ["threads", "processes"])
    func operations(mode: String) async throws {
        let (ec, ecPub) = try TestHSM.key(.ecdsaP256, on: [Self.label])
        let (rsa, rsaPub) = try TestHSM.key(.rsa2048, on: [Self.label])
        let (ed, _) = try TestHSM.key(.ed25519, on: [Self.label])
        let master = try Self.deriveKey()
        let workerMode: WorkerMode = mode == "threads" ? .threads : .processes(executable: WorkerMode.defaultWorkerExecutable)
        let completions = Mutex<[HSMCompletion]>([])
        var configuration = SchedulerConfiguration()
        configuration.completionObserver = { completion in completions.withLock { $0.append(completion) } }
        let scheduler = try HSMScheduler(configuration: configuration,
                                         backends: [TestHSM.backend(Self.label, name: "b-\(mode)", mode: workerMode)])
        defer { scheduler.shutdown() }

        let message = Array("digest signing in \(mode)".utf8)
        let digest = SoftCrypto.SHA256.hash(message)
        var cases: [SignatureCase] = []
        for (key, pub, mechanism, der) in [(ec, ecPub, SignatureMechanism.ecdsaP256SHA256, false), (ec, ecPub, .ecdsaP256SHA256, true),
                                           (rsa, rsaPub, .rsaPKCS1SHA256, false), (rsa, rsaPub, .rsaPSSSHA256, false)] {
            guard case .signature(let signature) = try await scheduler.perform(
                .signDigest(digest: digest, mechanism: mechanism, ecdsaFormat: der ? .der : .raw), key: key) else {
                Issue.record("no signature")
                continue
            }
            cases.append(SignatureCase(key: pub!, mechanism: mechanism, message: message, signature: signature, derECDSA: der))
        }
        #expect(cases.count == 4 && cases.allSatisfy(OpenSSLCheck.verify), "digest signatures verify over the message")
        let (status, output) = try PythonCheck.verify(cases)
        #expect(status == 0, "\(output)")
        await expectKind(.invalidArgument) {
            _ = try await scheduler.perform(.signDigest(digest: digest, mechanism: .ed25519, ecdsaFormat: .raw), key: ed)
        }
        await expectKind(.invalidArgument) {
            _ = try await scheduler.perform(.signDigest(digest: [1, 2, 3], mechanism: .ecdsaP256SHA256, ecdsaFormat: .raw), key: ec)
        }

        let credential = Array("credential-42".utf8)
        var boxes: [GCMSealedBox] = []
        for i in 0..<6 {
            guard case .sealed(let box) = try await scheduler.perform(
                .encryptDerived(plaintext: [UInt8(i)], aad: [9], credentialID: credential), key: master) else {
                Issue.record("no box")
                continue
            }
            boxes.append(box)
        }
        for (i, box) in boxes.enumerated() {
            let opened = try await scheduler.perform(.decryptDerived(box: box, aad: [9], credentialID: credential), key: master)
            #expect(opened == .plaintext([UInt8(i)]))
        }
        await expectKind(.invalidArgument) {
            _ = try await scheduler.perform(.decryptDerived(box: boxes[0], aad: [9], credentialID: Array("other".utf8)),
                                            key: master)
        }
        // A master key that may not derive (an encryption key) is refused by the token.
        let (aes, _) = try TestHSM.key(.aes256, on: [Self.label])
        do {
            _ = try await scheduler.perform(.encryptDerived(plaintext: [1], aad: [], credentialID: credential), key: aes)
            Issue.record("an encryption key derived a key")
        } catch let error as HSMError {
            #expect(error.kind == .failedPrecondition || error.kind == .invalidArgument, "\(error)")
        }
        let seen = completions.withLock { $0 }
        #expect(seen.contains { $0.backend == "b-\(mode)" && $0.operation == "sign_digest" && $0.succeeded })
        #expect(seen.contains { $0.operation == "encrypt_derived" && $0.succeeded && $0.latency > .zero })
        #expect(seen.contains { $0.operation == "decrypt_derived" && !$0.succeeded })
    }

    @Test("a box sealed under a derived key in one mode opens in the other")
    func derivationIsDeterministic() async throws {
        let master = try Self.deriveKey()
        let threads = try HSMScheduler(backends: [TestHSM.backend(Self.label, name: "t", mode: .threads)])
        defer { threads.shutdown() }
        let processes = try HSMScheduler(backends: [TestHSM.backend(Self.label, name: "p",
                                                                    mode: .processes(executable: WorkerMode.defaultWorkerExecutable))])
        defer { processes.shutdown() }
        guard case .sealed(let box) = try await threads.perform(
            .encryptDerived(plaintext: Array("portable".utf8), aad: [], credentialID: [7]), key: master) else {
            Issue.record("no box")
            return
        }
        let opened = try await processes.perform(.decryptDerived(box: box, aad: [], credentialID: [7]), key: master)
        #expect(opened == .plaintext(Array("portable".utf8)))
    }

    @Test("the derived-key cache is bounded and evicts the least recently used key")
    func cacheEviction() {
        var cache = DerivedKeyCache(capacity: 2)
        let a = DerivedKeyCache.Key(masterID: [1], credentialID: [1])
        let b = DerivedKeyCache.Key(masterID: [1], credentialID: [2])
        let c = DerivedKeyCache.Key(masterID: [2], credentialID: [1])
        #expect(cache.insert(ObjectHandle(rawValue: 10), for: a) == nil)
        #expect(cache.insert(ObjectHandle(rawValue: 11), for: b) == nil)
        #expect(cache.handle(for: a) == ObjectHandle(rawValue: 10))  // a is now the most recent
        #expect(cache.insert(ObjectHandle(rawValue: 12), for: c) == ObjectHandle(rawValue: 11), "b was least recently used")
        #expect(cache.count == 2 && cache.handle(for: b) == nil && cache.handle(for: c) == ObjectHandle(rawValue: 12))
        cache.removeAll()
        #expect(cache.count == 0)
    }

    @Test("the worker framing round-trips the new operations")
    func framing() throws {
        let now = ContinuousClock.now
        let items = [
            WorkItem(key: KeyReference(id: [1]), operation: .signDigest(digest: Array(repeating: 3, count: 32),
                                                                         mechanism: .rsaPSSSHA256, ecdsaFormat: .raw), deadline: nil),
            WorkItem(key: KeyReference(id: [2]), operation: .encryptDerived(plaintext: [4, 5], aad: [6], credentialID: [7, 8]),
                     deadline: nil),
            WorkItem(key: KeyReference(id: [3]), operation: .decryptDerived(
                box: GCMSealedBox(iv: Array(repeating: 1, count: 12), ciphertext: [2], tag: Array(repeating: 3, count: 16)),
                aad: [4], credentialID: [5]), deadline: nil),
        ]
        for item in items {
            var writer = FrameWriter(.batch)
            writer.item(item, now: now)
            let frame = writer.finish()
            var reader = FrameReader(body: Array(frame.dropFirst(5)))
            let decoded = try reader.item(now: now)
            #expect(decoded.key == item.key && "\(decoded.operation)" == "\(item.operation)")
            #expect(reader.offset == reader.bytes.count, "nothing left over")
            #expect(decoded.awaitedAlone == false)
        }
        // The "awaited alone" flag travels next to the DER flag without disturbing it.
        var alone = WorkItem(key: KeyReference(id: [9]), operation: .sign(message: [1], mechanism: .ecdsaP256SHA256, ecdsaFormat: .der),
                             deadline: nil, awaitedAlone: true)
        for flag in [true, false] {
            alone.awaitedAlone = flag
            var writer = FrameWriter(.batch)
            writer.item(alone, now: now)
            var reader = FrameReader(body: Array(writer.finish().dropFirst(5)))
            let decoded = try reader.item(now: now)
            #expect(decoded.awaitedAlone == flag && "\(decoded.operation)" == "\(alone.operation)")
        }
    }
}
