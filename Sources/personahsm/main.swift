// personahsm: the command-line client of PersonaHSM. Every subcommand talks to personahsmd
// through the generated stubs, as any internal client would (except `audit verify` and
// `sample-credentials`, which work on local files).

import ArgumentParsing
import Foundation
import RPCCore

signal(SIGPIPE, SIG_IGN)

let tool = Command("personahsm", summary: "PersonaHSM client: keys, signing, crypto, credentials, audit", subcommands: [
    KeyCommands.group,
    SigningCommands.sign,
    SigningCommands.verify,
    CryptoCommands.encrypt,
    CryptoCommands.decrypt,
    HealthCommands.health,
    AuditCommands.group,
    AdminCommands.group,
] + CredentialCommands.all)

let status = await tool.dispatch(Array(CommandLine.arguments.dropFirst()),
                                 printOut: { FileHandle.standardOutput.write(Data($0.utf8)) },
                                 printError: { FileHandle.standardError.write(Data($0.utf8)) })
exit(status)
