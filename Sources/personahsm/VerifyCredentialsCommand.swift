// `personahsm verify-credentials FILE.jsonl`: verifies every credential in a file offline
// (keys from each credential's did:key; no server). Exit 0 when all verify, 3 otherwise.

import ArgumentParsing
import Foundation
import PersonaClient

enum VerifyCredentialsCommand {
    static var command: Command {
        Command("verify-credentials", summary: "Verify every credential of a JSON Lines file offline (did:key)",
                usage: "FILE.jsonl [--show N] [--json]",
                options: [.value("show", "N", help: "Failures to print (default 20)."),
                          .flag("json", help: "Print a JSON summary.")]) { args in
            let path = try args.positional(0, "FILE.jsonl")
            let show = try args.integer("show", default: 20, range: 0...Int.max)
            let report: CredentialFileReport
            do {
                report = try await CredentialFileVerifier().verify(path: path)
            } catch let error as IssuanceError {
                Output.error("error: \(error)")
                return ExitCode.io
            }
            let seconds = Double(report.elapsed.components.seconds) + Double(report.elapsed.components.attoseconds) / 1e18
            if args.flag("json") {
                Output.json(["credentials": report.credentials, "verified": report.verified, "failed": report.failures.count,
                             "jwt": report.jwt, "data_integrity": report.dataIntegrity, "lines": report.lines,
                             "elapsed_seconds": seconds,
                             "failures": report.failures.prefix(show).map { ["line": $0.line, "format": $0.format,
                                                                             "message": $0.message] as [String: Any] }])
            } else {
                for failure in report.failures.prefix(show) {
                    Output.error("line \(failure.line) [\(failure.format)]: \(failure.message)")
                }
                if report.credentials == 0 { Output.error("no credentials found in \(path)") }
                Output.line(report.description)
            }
            return report.allVerified ? ExitCode.success : ExitCode.invalid
        }
    }
}
