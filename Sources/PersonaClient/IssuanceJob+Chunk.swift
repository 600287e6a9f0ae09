// Issues one chunk of documents: parse, then one CredentialIssuer batch per format (the formats
// run concurrently, each a single batched signing call), then one output line per document with
// all its credentials, or one rejects line saying why it was refused. Problems of a document
// (bad JSON, bad shape, foreign issuer) reject that document; a signing failure stops the job,
// because it says nothing about the document and a rerun will pick it up.

import Credentials
import Foundation

/// What one chunk produced, ready to append.
struct ChunkOutcome: Sendable {
    var lines: [UInt8] = []
    var rejectLines: [UInt8] = []
    var issued = 0
    var rejected = 0
}

extension IssuanceJob {
    /// Error codes that describe the document (→ rejects); any other code is the signer's fault.
    static let documentErrorCodes: Set<CredentialError.Code> = [.invalidJSON, .invalidCredential, .issuerMismatch, .invalidDate]

    static func issue(_ documents: [IssuanceDocument], issuer: CredentialIssuer, formats: [SecuringFormat],
                      at time: XSDDateTime) async throws -> ChunkOutcome {
        var outcome = ChunkOutcome()
        var parsed: [(document: IssuanceDocument, value: JSONValue)] = []
        for document in documents {
            do {
                parsed.append((document, try JSONParser.parse(document.bytes)))
            } catch {
                reject(document, CredentialError(.invalidJSON, "not strict JSON: \(error)"), into: &outcome)
            }
        }
        try Task.checkCancellation()
        let values = parsed.map(\.value)
        let results: [[Result<CredentialIssuer.Issued, CredentialError>]] = await withTaskGroup(
            of: (Int, [Result<CredentialIssuer.Issued, CredentialError>]).self
        ) { group in
            for (position, format) in formats.enumerated() {
                group.addTask { (position, await issuer.issueBatch(values, format: format, at: time)) }
            }
            var byFormat = [[Result<CredentialIssuer.Issued, CredentialError>]](repeating: [], count: formats.count)
            for await (position, result) in group { byFormat[position] = result }
            return byFormat
        }
        for (index, item) in parsed.enumerated() {
            var record = JSONObject()
            record["id"] = .string(item.document.id)
            record["source"] = .string(item.document.source)
            var refusal: CredentialError?
            for (position, format) in formats.enumerated() {
                switch results[position][index] {
                case .success(.jwt(let jws)):
                    record["jwt"] = .string(jws)
                case .success(.dataIntegrity(let secured)):
                    record["di"] = secured
                case .failure(let error) where documentErrorCodes.contains(error.code):
                    refusal = refusal ?? error
                case .failure(let error):
                    throw IssuanceError(.signing, "signing \(item.document.source) as \(format) failed", cause: error)
                }
            }
            if let refusal {
                reject(item.document, refusal, into: &outcome)
            } else {
                outcome.lines += try line(record)
                outcome.issued += 1
            }
        }
        return outcome
    }

    static func reject(_ document: IssuanceDocument, _ error: CredentialError, into outcome: inout ChunkOutcome) {
        var record = JSONObject()
        record["id"] = .string(document.id)
        record["source"] = .string(document.source)
        record["error"] = .object(["code": .string(error.code.name), "message": .string(error.message)])
        // A record of strings only always serializes.
        outcome.rejectLines += (try? line(record)) ?? []
        outcome.rejected += 1
    }

    static func line(_ record: JSONObject) throws -> [UInt8] {
        do {
            return try JSONValue.object(record).compactBytes() + [UInt8(ascii: "\n")]
        } catch {
            throw IssuanceError(.output, "cannot serialize an output record", cause: error)
        }
    }
}
