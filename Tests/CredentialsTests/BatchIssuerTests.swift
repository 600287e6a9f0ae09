// The batch issuance pipeline: one signing call for the whole batch, per-document failures that
// do not spoil the batch, and faulty signers caught before anything is released.

import Testing
import Credentials
import SoftCrypto
import Synchronization

/// Counts batch calls and can corrupt its output, to test the pipeline's checks.
final class CountingSigner: CredentialSigner {
    enum Fault: Sendable { case none, flipBit, dropOne, fail }
    let inner: SoftwareCredentialSigner
    let fault: Fault
    let batches = Mutex<[Int]>([])

    init(_ inner: SoftwareCredentialSigner, fault: Fault = .none) {
        self.inner = inner
        self.fault = fault
    }

    var verificationMethod: String { inner.verificationMethod }

    func sign(_ message: [UInt8]) async throws -> [UInt8] { try await inner.sign(message) }

    func sign(batch messages: [[UInt8]]) async throws -> [[UInt8]] {
        batches.withLock { $0.append(messages.count) }
        var signatures = try await messages.asyncMap { try await inner.sign($0) }
        switch fault {
        case .none: break
        case .flipBit: signatures[0][0] ^= 1
        case .dropOne: signatures.removeLast()
        case .fail: throw CredentialError(.signerFailed, "HSM unavailable")
        }
        return signatures
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for element in self { out.append(try await transform(element)) }
        return out
    }
}

@Suite struct BatchIssuerTests {
    @Test(arguments: [SecuringFormat.jwt, .dataIntegrity])
    func batchIssuesWithOneSigningCall(format: SecuringFormat) async throws {
        let signer = CountingSigner(try Fixtures.signer())
        let issuer = try CredentialIssuer(signer: signer)
        let inputs: [JSONValue] = [try Fixtures.credential20(), try Fixtures.credential11(), ["not": "a credential"],
                                   try Fixtures.credential20()]
        let results = await issuer.issueBatch(inputs, format: format, at: Fixtures.issuanceTime)
        #expect(signer.batches.withLock { $0 } == [3])
        let verifier = CredentialVerifier()
        for (index, result) in results.enumerated() {
            if index == 2 {
                #expect(throws: CredentialError.self) { try result.get() }
                continue
            }
            switch try result.get() {
            case .jwt(let jwt): #expect(try verifier.verifyJWT(jwt).issuer == signer.inner.didKey.did)
            case .dataIntegrity(let document): #expect(try verifier.verifyDataIntegrity(document).issuer == signer.inner.didKey.did)
            }
        }
    }

    @Test(arguments: [(CountingSigner.Fault.flipBit, "invalidSignature"), (.dropOne, "signerFailed"), (.fail, "signerFailed")])
    func faultySignersAreCaught(fault: CountingSigner.Fault, code: String) async throws {
        let issuer = try CredentialIssuer(signer: CountingSigner(try Fixtures.signer(), fault: fault))
        let results = await issuer.issueBatch([try Fixtures.credential20(), try Fixtures.credential20()], format: .jwt,
                                              at: Fixtures.issuanceTime)
        let failure = #expect(throws: CredentialError.self) { try results[0].get() }
        #expect(failure?.code.name == code)
    }

    @Test func singleIssueAndBytes() async throws {
        let issuer = try CredentialIssuer(signer: try Fixtures.signer())
        let issued = try await issuer.issue(try Fixtures.credential20(), format: .dataIntegrity, at: Fixtures.issuanceTime)
        #expect(try CredentialVerifier().verifyDataIntegrity(issued.bytes).version == .v2_0)
        let signerWithBadMethod = BadMethodSigner()
        let error = #expect(throws: CredentialError.self) { try CredentialIssuer(signer: signerWithBadMethod) }
        #expect(error?.code == .notDIDKey)
    }
}

struct BadMethodSigner: CredentialSigner {
    var verificationMethod: String { "did:web:example.com#key-1" }
    func sign(_ message: [UInt8]) async throws -> [UInt8] { [] }
}
