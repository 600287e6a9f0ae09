// Credentials we issue are verified by an independent Python implementation
// (Tests/interop/creds_verify.py: cryptography, jwcrypto, jcs, base58) that derives the did:key
// from the raw public key itself. Tampered copies are included and must be refused there too, so
// the script is shown to be verifying rather than accepting everything.

import Testing
import Credentials
import SoftCrypto
import TestSupport

/// Items for creds_verify.py.
struct InteropBatch {
    var items: [JSONValue] = []

    mutating func add(jwt: String, valid: Bool) {
        items.append(["kind": "jwt", "value": .string(jwt), "expect": valid ? "valid" : "invalid"])
    }

    mutating func add(document: JSONValue, valid: Bool) {
        items.append(["kind": "di", "value": document, "expect": valid ? "valid" : "invalid"])
    }

    /// Runs the script; returns its result.
    func run(publicKey: PublicKey) throws -> SubprocessResult {
        let request: JSONValue = ["publicKeyHex": .string(publicKey.rawRepresentation?.hexString ?? ""), "items": .array(items)]
        return try Subprocess.python("creds_verify.py", input: request.compactBytes())
    }
}

@Suite struct InteropVerifyTests {
    @Test func pythonVerifiesBothFormatsAndRefusesTampering() async throws {
        let signer = try Fixtures.signer()
        var batch = InteropBatch()
        for credential in [try Fixtures.credential20(), try Fixtures.credential11()] {
            let jwt = try await Fixtures.issueJWT(credential, signer)
            batch.add(jwt: jwt, valid: true)
            var parts = jwt.split(separator: ".").map(String.init)
            var signature = try Base64URL.decode(parts[2])
            signature[0] ^= 0x80
            parts[2] = Base64URL.encode(signature)
            batch.add(jwt: parts.joined(separator: "."), valid: false)

            let document = try await Fixtures.issueDI(credential, signer)
            batch.add(document: document, valid: true)
            var tampered = document.objectValue!
            tampered["credentialSubject"] = ["id": "did:example:mallory"]
            batch.add(document: .object(tampered), valid: false)
        }
        // Signed by another key: the script's derived did:key must not match.
        let other = try Fixtures.signer()
        batch.add(jwt: try await Fixtures.issueJWT(Fixtures.credential20(), other), valid: false)
        let result = try batch.run(publicKey: signer.didKey.publicKey)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("ok 9 \(signer.didKey.did)"), "\(result.stdout)")
    }
}
