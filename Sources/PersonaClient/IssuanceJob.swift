// The batch issuance job behind `personahsm issue`: reads unsigned documents, skips those a
// previous run already wrote (to the output or the rejects file), issues the rest in chunks that
// are pipelined (several chunks preparing and signing while the oldest is written), and writes
// results in input order. The issuance time is fixed per job (in the `.job.json` sidecar) so a
// resumed run prepares byte-identical documents: the server's idempotency keys, and Ed25519's
// determinism, then make a document crashed between signing and writing come out identical.

import Credentials
import Foundation

/// Which credential formats to issue for each document.
public enum IssuanceFormat: String, Sendable, CaseIterable {
    case jwt, di, both

    /// The securing formats, JWT first.
    public var formats: [SecuringFormat] {
        switch self {
        case .jwt: [.jwt]
        case .di: [.dataIntegrity]
        case .both: [.jwt, .dataIntegrity]
        }
    }
}

/// What a finished (or interrupted) run did.
public struct IssuanceSummary: Sendable, CustomStringConvertible {
    /// Documents in the input.
    public var total = 0
    /// Documents issued by this run.
    public var issued = 0
    /// Documents refused by this run (written to the rejects file).
    public var rejected = 0
    /// Documents a previous run already issued or rejected.
    public var skipped = 0
    /// Signatures made by this run (one per credential: `both` makes two per document).
    public var signatures = 0
    public var elapsed: Duration = .zero

    public var signaturesPerSecond: Double {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return seconds > 0 ? Double(signatures) / seconds : 0
    }

    public var description: String {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return "issued \(issued), rejected \(rejected), skipped \(skipped) of \(total) documents; "
            + "\(signatures) signatures in \(String(format: "%.2f", seconds)) s (\(String(format: "%.0f", signaturesPerSecond)) signatures/s)"
    }
}

/// Issues a folder or JSON Lines file of credentials into a JSON Lines output, resumably.
public struct IssuanceJob: Sendable {
    public struct Configuration: Sendable {
        /// Folder of `*.json` files, or a JSON Lines file.
        public var input: String
        /// Output JSON Lines: one line per issued document `{"id","source","jwt","di"}`.
        public var output: String
        /// Rejects JSON Lines: `{"id","source","error":{"code","message"}}` (default `<output>.rejects.jsonl`).
        public var rejects: String
        public var format: IssuanceFormat
        /// Documents per chunk (one signing batch per format).
        public var chunkSize: Int
        /// Chunks in flight.
        public var window: Int
        /// Check signatures against the did:key before writing (the server verifies each one too).
        public var verifySignatures: Bool
        /// 1 checks every signature; n > 1 the first and last of each signing batch and every n-th
        /// (see `CredentialIssuer.verificationInterval`).
        public var verificationInterval: Int
        /// What to do with an issuer the input already names (default: refuse a foreign one).
        public var issuerPolicy: IssuerPolicy

        public init(input: String, output: String, rejects: String? = nil, format: IssuanceFormat = .both,
                    chunkSize: Int = 256, window: Int = 8, verifySignatures: Bool = true,
                    verificationInterval: Int = 1, issuerPolicy: IssuerPolicy = .fillIfMissing) {
            self.input = input
            self.output = output
            self.rejects = rejects ?? IssuanceJob.defaultRejectsPath(for: output)
            self.format = format
            self.chunkSize = max(1, chunkSize)
            self.window = max(1, window)
            self.verifySignatures = verifySignatures
            self.verificationInterval = max(1, verificationInterval)
            self.issuerPolicy = issuerPolicy
        }
    }

    public let configuration: Configuration
    public let signer: any CredentialSigner
    /// Key name and version for the job file (informational; the verification method is checked).
    public let keyLabel: String

    public init(configuration: Configuration, signer: any CredentialSigner, keyLabel: String = "") {
        self.configuration = configuration
        self.signer = signer
        self.keyLabel = keyLabel
    }

    /// `out.jsonl` → `out.rejects.jsonl`.
    public static func defaultRejectsPath(for output: String) -> String {
        (output.hasSuffix(".jsonl") ? String(output.dropLast(6)) : output) + ".rejects.jsonl"
    }

    /// Runs (or resumes) the job.
    ///
    /// - Parameter progress: called after each written chunk, from the job's task.
    /// - Throws: ``IssuanceError`` (input, output, job mismatch, signing after retries). What was
    ///   written before the failure stays, and a rerun continues from there.
    public func run(progress: @Sendable (IssuanceProgress) -> Void = { _ in }) async throws -> IssuanceSummary {
        let clock = ContinuousClock()
        let started = clock.now
        let documents = try IssuanceInput.load(configuration.input)
        let state = try IssuanceJobState.openOrCreate(for: configuration, verificationMethod: signer.verificationMethod,
                                                      keyLabel: keyLabel)
        let output = try JSONLinesAppender(path: configuration.output)
        let rejects = try JSONLinesAppender(path: configuration.rejects)
        let done = output.existingIDs.union(rejects.existingIDs)
        let todo = documents.filter { !done.contains($0.id) }
        var summary = IssuanceSummary(total: documents.count, skipped: documents.count - todo.count)
        let issuer: CredentialIssuer
        do {
            issuer = try CredentialIssuer(signer: signer, issuerPolicy: configuration.issuerPolicy,
                                       verifySignatures: configuration.verifySignatures,
                                       verificationInterval: configuration.verificationInterval)
        } catch {
            throw IssuanceError(.wrongKey, "the signer's verification method is not a did:key", cause: error)
        }
        let time = state.issuanceTime
        let formats = configuration.format.formats
        let chunks = stride(from: 0, to: todo.count, by: configuration.chunkSize).map {
            Array(todo[$0..<min($0 + configuration.chunkSize, todo.count)])
        }
        var window: [Task<ChunkOutcome, any Error>] = []
        defer { window.forEach { $0.cancel() } }
        var next = 0
        progress(IssuanceProgress(summary: summary, elapsed: clock.now - started))
        while next < chunks.count || !window.isEmpty {
            while next < chunks.count, window.count < configuration.window {
                let chunk = chunks[next]
                window.append(Task { try await Self.issue(chunk, issuer: issuer, formats: formats, at: time) })
                next += 1
            }
            let outcome = try await window.removeFirst().value
            try output.append(outcome.lines)
            try rejects.append(outcome.rejectLines)
            summary.issued += outcome.issued
            summary.rejected += outcome.rejected
            summary.signatures += outcome.issued * formats.count
            summary.elapsed = clock.now - started
            progress(IssuanceProgress(summary: summary, elapsed: summary.elapsed))
        }
        try output.sync()
        try rejects.sync()
        summary.elapsed = clock.now - started
        return summary
    }
}

/// A progress snapshot.
public struct IssuanceProgress: Sendable {
    public let summary: IssuanceSummary
    public let elapsed: Duration

    /// Documents accounted for (issued, rejected or skipped).
    public var done: Int { summary.issued + summary.rejected + summary.skipped }
}
