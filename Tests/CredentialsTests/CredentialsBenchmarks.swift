// Throughput of the credential hot path, run only on request:
//     PERSONAHSM_BENCH=1 swift test -c release --filter CredentialsBenchmarks
// Each figure is printed with a baseline measured in the same run (Foundation's
// JSONSerialization for parsing/serializing; a bare Ed25519 signature for issuance), so the
// ratios stay meaningful on a busy machine. Nothing here asserts a speed.

import Foundation
import Testing
import Credentials
import SoftCrypto
import TestSupport

@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["PERSONAHSM_BENCH"] != nil))
struct CredentialsBenchmarks {
    static func corpus() throws -> [[UInt8]] {
        let index = try JSONParser.parse(SharedTestData.bytes("credentials/index.json"))
        return try index.arrayValue!.compactMap { entry -> [UInt8]? in
            guard entry["kind"] == "credential", entry["expected"] == "valid", let path = entry["path"]?.stringValue else { return nil }
            return try SharedTestData.bytes("credentials/" + path)
        }
    }

    static func time(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    static func report(_ name: String, count: Int, seconds: Double, baseline: Double, baselineName: String) {
        let rate = Double(count) / seconds
        print(String(format: "%@: %.0f docs/s (%.2f µs/doc); %.2fx the speed of %@", name, rate, seconds / Double(count) * 1e6,
                     baseline / seconds, baselineName))
    }

    @Test func parseAndCanonicalize() throws {
        let documents = try Self.corpus()
        let rounds = 200
        let count = documents.count * rounds
        let bytes = documents.reduce(0) { $0 + $1.count }
        print("corpus: \(documents.count) documents, \(bytes / documents.count) bytes on average, \(rounds) rounds")
        var sink = 0
        let foundation = try Self.time {
            for _ in 0..<rounds {
                for document in documents {
                    let object = try JSONSerialization.jsonObject(with: Data(document))
                    sink &+= try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]).count
                }
            }
        }
        let ours = try Self.time {
            for _ in 0..<rounds {
                for document in documents { sink &+= try JCS.canonicalize(JSONParser.parse(document)).count }
            }
        }
        let parseOnly = try Self.time {
            for _ in 0..<rounds {
                for document in documents { if case .object(let o) = try JSONParser.parse(document) { sink &+= o.count } }
            }
        }
        let foundationParse = try Self.time {
            for _ in 0..<rounds {
                for document in documents { sink &+= (try JSONSerialization.jsonObject(with: Data(document)) as? NSDictionary)?.count ?? 0 }
            }
        }
        Self.report("parse+JCS (ours)", count: count, seconds: ours, baseline: foundation,
                    baselineName: "JSONSerialization parse+sortedKeys")
        Self.report("parse only (ours)", count: count, seconds: parseOnly, baseline: foundationParse, baselineName: "JSONSerialization parse")
        #expect(sink != 0)
    }

    @Test func issuance() async throws {
        let signer = try SoftwareCredentialSigner.generate()
        let documents = try Self.corpus().map { try JSONParser.parse($0) }
        let rounds = 20
        let count = documents.count * rounds
        let time = XSDDateTime(epochSeconds: 1_735_689_600)
        var sink = 0
        let rawSign = try Self.time {
            for _ in 0..<count { sink &+= try signer.key.sign([UInt8](repeating: 7, count: 64)).count }
        }
        for format in [SecuringFormat.jwt, .dataIntegrity] {
            // Everything but the signature (what the job does before calling the HSM)...
            var prepared = 0
            let prepare = try Self.time {
                for _ in 0..<rounds {
                    for document in documents {
                        guard let credential = try? CredentialPreparation.prepare(document, issuer: signer.didKey, issuanceTime: time,
                                                                                  policy: .overwrite, format: format) else { continue }
                        switch format {
                        case .jwt: sink &+= try VCJWT.prepare(credential: credential, verificationMethod: signer.verificationMethod).signingInput.count
                        case .dataIntegrity:
                            sink &+= try EddsaJcs2022.prepare(document: credential, options: ProofOptions(verificationMethod: signer.verificationMethod,
                                                                                                         created: time)).hashData.count
                        }
                        prepared += 1
                    }
                }
            }
            Self.report("prepare \(format) (no signing)", count: prepared, seconds: prepare, baseline: rawSign,
                        baselineName: "one software Ed25519 signature")
            // ...and the whole pipeline with software signing and sign-then-verify.
            let issuer = try CredentialIssuer(signer: signer, issuerPolicy: .overwrite)
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<rounds {
                let results = await issuer.issueBatch(documents, format: format, at: time)
                sink &+= results.count
            }
            let full = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            Self.report("issue \(format) (sign + verify, software key)", count: count, seconds: full, baseline: rawSign,
                        baselineName: "one software Ed25519 signature")
        }
        #expect(sink != 0)
    }
}
