// Credential commands: `sample-credentials` makes demo input; `issue` and `verify-credentials`
// run the batch issuance job and its verifier.

import ArgumentParsing
import Foundation
import PersonaClient

enum CredentialCommands {
    static var all: [Command] { [sampleCredentials, IssueCommand.command, VerifyCredentialsCommand.command] }

    static var sampleCredentials: Command {
        Command("sample-credentials", summary: "Write unsigned sample credentials (JSON Lines) for the demo",
                usage: "--count N --out FILE [--seed S]",
                options: [.value("count", "N", help: "How many (default 1000)."),
                          .value("out", "FILE", help: "Output JSON Lines file."),
                          .value("seed", "S", help: "Seed (default 2026): the same seed writes the same documents."),
                          .value("malformed-every", "N", help: "One malformed document in N (default 200; 0 = none).")]) { args in
            let count = try args.integer("count", default: 1000, range: 1...10_000_000)
            let factory = SampleCredentialFactory(seed: UInt64(try args.integer("seed", default: 2026, range: 0...Int.max)),
                                                  malformedEvery: try args.integer("malformed-every", default: 200,
                                                                                   range: 0...Int.max))
            let out = try args.required("out")
            try factory.writeJSONLines(count: count, to: out)
            Output.line("wrote \(count) unsigned credentials to \(out)")
            return ExitCode.success
        }
    }
}
