// `personahsm issue INPUT --key NAME --out FILE.jsonl`: the batch issuance job. The key's
// did:key comes from the server (checked against its raw public key); documents are shape
// checked, filled in (issuer, validFrom) and signed through the server in pipelined batches.
// Rerunning the same command resumes: documents already in the output or rejects are skipped.

import ArgumentParsing
import Credentials
import Foundation
import PersonaClient
import RPCCore

enum IssueCommand {
    /// `--local-verify sample`: personahsmd verifies every signature before it answers, so the
    /// client re-checks a sample that catches a wrong key or a mixed-up batch (they affect every
    /// item) without doubling the CPU cost of each credential (docs/PERFORMANCE.md).
    static let sampledVerificationInterval = 64

    static var command: Command {
        Command("issue", summary: "Issue credentials from a folder of JSON files or a JSON Lines file (resumable)",
                usage: "INPUT --key NAME --out FILE.jsonl [--format jwt|di|both] [--rejects FILE]",
                options: ClientOptions.specs + [
                    .value("key", "NAME", help: "Ed25519 issuer key (its did:key becomes the issuer)."),
                    .value("version", "N", help: "Key version (default: the primary version, pinned for the job)."),
                    .value("format", "FMT", help: "jwt (VC-JWT), di (Data Integrity eddsa-jcs-2022) or both (default)."),
                    .value("out", "FILE", help: "Output JSON Lines, one line per document: {id, source, jwt, di}."),
                    .value("rejects", "FILE", help: "Rejected documents with reasons (default <out>.rejects.jsonl)."),
                    .value("chunk", "N", help: "Documents per signing batch (default 256)."),
                    .value("window", "N", help: "Batches in flight (default 8)."),
                    .value("progress", "MODE", help: "auto (default: a bar on a terminal, lines otherwise), bar, lines, none."),
                    .flag("replace-issuer", help: "Replace an issuer the input names with the key's did:key (default: refuse it)."),
                    .value("local-verify", "MODE", help: "Check signatures locally as well as on the server: sample (default: "
                           + "first and last of each batch and every \(sampledVerificationInterval)th), all, or none."),
                    .flag("no-local-verify", help: "Same as --local-verify none (the server still verifies every signature)."),
                ]) { args in
            let input = try args.positional(0, "INPUT folder or JSON Lines file")
            let keyName = try args.required("key")
            guard let format = IssuanceFormat(rawValue: args.value("format") ?? "both") else {
                throw UsageError("--format must be jwt, di or both")
            }
            let style: IssuanceProgressDisplay.Style?
            switch args.value("progress") ?? "auto" {
            case "auto": style = nil
            case "bar": style = .bar
            case "lines": style = .lines
            case "none": style = IssuanceProgressDisplay.Style.none
            case let other: throw UsageError("unknown --progress \(other)")
            }
            let verification: Int?  // nil: no local check; else the sampling interval
            switch args.flag("no-local-verify") ? "none" : args.value("local-verify") ?? "sample" {
            case "sample": verification = sampledVerificationInterval
            case "all": verification = 1
            case "none": verification = nil
            case let other: throw UsageError("--local-verify must be sample, all or none, not \(other)")
            }
            let configuration = IssuanceJob.Configuration(
                input: input, output: try args.required("out"), rejects: args.value("rejects"), format: format,
                chunkSize: try args.integer("chunk", default: 256, range: 1...1024),
                window: try args.integer("window", default: 8, range: 1...256),
                verifySignatures: verification != nil,
                verificationInterval: verification ?? 1,
                issuerPolicy: args.flag("replace-issuer") ? .overwrite : .fillIfMissing)
            let version = UInt32(try args.integer("version", default: 0, range: 0...Int(UInt32.max)))
            var exitCode = ExitCode.success
            let status = try await run(args, defaultRole: "issuer") { connection in
                let signer = try await RemoteCredentialSigner.connect(connection, keyName: keyName, version: version)
                let job = IssuanceJob(configuration: configuration, signer: signer, keyLabel: "\(keyName) v\(signer.version)")
                let display = IssuanceProgressDisplay(style: args.flag("json") ? IssuanceProgressDisplay.Style.none : style)
                do {
                    let summary = try await job.run { display.show($0) }
                    report(summary, configuration: configuration, signer: signer, args: args)
                } catch let error as IssuanceError {
                    Output.error("error: \(error)")
                    switch error.code {
                    case .input, .output: exitCode = ExitCode.io
                    case .jobMismatch: exitCode = ExitCode.usage
                    default: exitCode = ExitCode.rpcFailure
                    }
                }
            }
            return status == ExitCode.success ? exitCode : status
        }
    }

    static func report(_ summary: IssuanceSummary, configuration: IssuanceJob.Configuration,
                       signer: RemoteCredentialSigner, args: ParsedArguments) {
        let seconds = Double(summary.elapsed.components.seconds) + Double(summary.elapsed.components.attoseconds) / 1e18
        if args.flag("json") {
            Output.json(["issued": summary.issued, "rejected": summary.rejected, "skipped": summary.skipped,
                         "total": summary.total, "signatures": summary.signatures, "elapsed_seconds": seconds,
                         "signatures_per_second": summary.signaturesPerSecond, "output": configuration.output,
                         "rejects": configuration.rejects, "issuer": signer.didKey.did])
            return
        }
        Output.line("issuer:     \(signer.didKey.did) (\(signer.keyName) v\(signer.version))")
        Output.line("issued:     \(summary.issued)")
        Output.line("rejected:   \(summary.rejected)" + (summary.rejected > 0 ? " (see \(configuration.rejects))" : ""))
        Output.line("skipped:    \(summary.skipped) (already done by an earlier run)")
        Output.line(String(format: "elapsed:    %.2f s", seconds))
        Output.line(String(format: "signatures: %d (%.0f/s)", summary.signatures, summary.signaturesPerSecond))
        Output.line("output:     \(configuration.output)")
    }
}
