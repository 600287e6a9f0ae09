// The `<output>.job.json` sidecar: what a resumed run must reuse to prepare byte-identical
// documents (the issuance time) and must not change (signing key, formats). Without it a rerun
// would stamp a new validFrom/created and sign different bytes, issuing a second, different
// credential for a document whose first signature was lost in a crash.

import Credentials
import Foundation

/// Settings pinned for the lifetime of one output file.
struct IssuanceJobState: Codable, Sendable {
    var verificationMethod: String
    var key: String
    var format: String
    /// Epoch seconds used for validFrom/issuanceDate and proof `created`.
    var issuanceEpochSeconds: Int64

    enum CodingKeys: String, CodingKey {
        case verificationMethod = "verification_method", key, format
        case issuanceEpochSeconds = "issuance_epoch_seconds"
    }

    var issuanceTime: XSDDateTime { XSDDateTime(epochSeconds: issuanceEpochSeconds) }

    static func path(for output: String) -> String { output + ".job.json" }

    /// Reuses the sidecar when the output already has lines; otherwise starts a new job now.
    ///
    /// - Throws: ``IssuanceError/Code/jobMismatch`` when the output was started with another key or format.
    static func openOrCreate(for configuration: IssuanceJob.Configuration, verificationMethod: String,
                             keyLabel: String) throws -> IssuanceJobState {
        let path = path(for: configuration.output)
        let outputSize = (try? FileManager.default.attributesOfItem(atPath: configuration.output)[.size] as? Int) ?? 0
        let rejectsSize = (try? FileManager.default.attributesOfItem(atPath: configuration.rejects)[.size] as? Int) ?? 0
        if outputSize > 0 || rejectsSize > 0, let data = FileManager.default.contents(atPath: path) {
            let state: IssuanceJobState
            do {
                state = try JSONDecoder().decode(IssuanceJobState.self, from: data)
            } catch {
                throw IssuanceError(.jobMismatch, "cannot read the job file \(path); remove the output to start over", cause: error)
            }
            guard state.verificationMethod == verificationMethod else {
                throw IssuanceError(.jobMismatch, "\(configuration.output) was started with \(state.verificationMethod), "
                                    + "not \(verificationMethod); use another --out")
            }
            guard state.format == configuration.format.rawValue else {
                throw IssuanceError(.jobMismatch, "\(configuration.output) was started with --format \(state.format); use another --out")
            }
            return state
        }
        let state = IssuanceJobState(verificationMethod: verificationMethod, key: keyLabel,
                                     format: configuration.format.rawValue,
                                     issuanceEpochSeconds: Int64(Date().timeIntervalSince1970))
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            try encoder.encode(state).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw IssuanceError(.output, "cannot write the job file \(path)", cause: error)
        }
        return state
    }
}
