// `personahsm admin …`: the M-of-N quorum flow and the custody operations it guards.
//
//   propose backup|restore|escrow-recovery|destroy-key|policy-change …  → an operation id
//   digest  (same arguments as propose, offline)                         → the SHA-256 to expect
//   approve OP-ID [--sha256 HEX]                                        → one approval
//   pending                                                             → what awaits approval
//   backup --operation OP-ID --out FILE [--key NAME …]
//   restore --operation OP-ID --bundle FILE [--backend NAME]
//   destroy NAME --version N --operation OP-ID [--wait-days D]
//
// A proposal carries the exact request that will run; the CLI builds it from the same options the
// executing command takes (key names sorted), so the digests match.

import ArgumentParsing
import Foundation
import PersonaClient
import PersonaProtos
import RPCCore
import SoftCrypto

enum AdminCommands {
    static var group: Command {
        Command("admin", summary: "Quorum approvals, backup, restore, escrow recovery and destruction", subcommands: [
            propose, digest, approve, pending, backup, restore, destroy,
        ])
    }

    static let requestOptions: [OptionSpec] = [
        .value("key", "NAME", help: "backup: a key to include (repeat; none = every key that allows backup)."),
        .value("bundle", "FILE", help: "restore, escrow-recovery: the bundle file."),
        .value("backend", "NAME", help: "restore, escrow-recovery: target node (default: first primary)."),
        .value("version", "N", help: "destroy-key: the key version."),
        .value("wait-days", "DAYS", help: "destroy-key: waiting period (default: the server's)."),
        .value("policy", "FILE", help: "policy-change: the new policy file."),
    ]

    static var propose: Command {
        Command("propose", summary: "Propose an operation; prints its id and the request's SHA-256",
                usage: "backup|restore|escrow-recovery|destroy-key|policy-change [NAME] [options]",
                options: ClientOptions.specs + requestOptions + [
                    .value("justification", "TEXT", help: "Why (recorded in the audit log)."),
                ]) { args in
            try await run(args) { connection in
                let kind = try args.positional(0, "operation (backup, restore, escrow-recovery, destroy-key, policy-change)")
                let (operation, request) = try proposedRequest(kind, args)
                let status = try await connection.admin.proposeOperation(ProposeOperationRequest(
                    operation: operation, request: request, justification: args.value("justification") ?? ""),
                    options: options(args))
                printStatus(status, args)
            }
        }
    }

    /// Offline: the SHA-256 an approver should see for a request, computed locally from the same
    /// options `propose` takes, to compare with `pending` and pass to `approve --sha256`.
    static var digest: Command {
        Command("digest", summary: "Print the SHA-256 of a request, computed locally (to check before approving)",
                usage: "backup|restore|escrow-recovery|destroy-key|policy-change [NAME] [options]",
                options: requestOptions + [.flag("json", help: "Print JSON.")]) { args in
            do {
                let kind = try args.positional(0, "operation (backup, restore, escrow-recovery, destroy-key, policy-change)")
                let (_, request) = try proposedRequest(kind, args)
                let hex = SHA256.hash(request).hexString
                if args.flag("json") { Output.json(["operation": kind, "request_sha256": hex]) } else { Output.line(hex) }
                return ExitCode.success
            } catch let error as LocalFileError {
                Output.error("error: \(error)")
                return ExitCode.io
            }
        }
    }

    static var approve: Command {
        Command("approve", summary: "Approve an operation as this identity", usage: "OP-ID [--sha256 HEX]",
                options: ClientOptions.specs + [
                    .value("sha256", "HEX", help: "The request digest you checked (default: the one the server lists)."),
                ]) { args in
            try await run(args) { connection in
                let id = try args.positional(0, "operation id OP-ID")
                let digest: [UInt8]
                if let hex = args.value("sha256") {
                    guard let bytes = [UInt8](hexString: hex), bytes.count == 32 else {
                        throw UsageError("--sha256 must be 64 hex digits")
                    }
                    digest = bytes
                } else {
                    let pending = try await connection.admin.listPending(ListPendingRequest(), options: options(args))
                    guard let operation = pending.operations.first(where: { $0.operationId == id }) else {
                        throw RPCError(.notFound, "no pending operation \(id)")
                    }
                    digest = operation.requestSha256
                    if !args.flag("json") {
                        Output.error("approving \(operation.operation) by \(operation.proposer), request sha256 "
                                     + digest.hexString)
                    }
                }
                printStatus(try await connection.admin.approve(ApproveRequest(operationId: id, requestSha256: digest),
                                                               options: options(args)), args)
            }
        }
    }

    static var pending: Command {
        Command("pending", summary: "List operations awaiting approval or execution", options: ClientOptions.specs) { args in
            try await run(args) { connection in
                let list = try await connection.admin.listPending(ListPendingRequest(), options: options(args))
                if args.flag("json") {
                    Output.json(list.operations.map(dictionary))
                } else if list.operations.isEmpty {
                    Output.line("no pending operations")
                } else {
                    for operation in list.operations { Output.line(summary(operation)) }
                }
            }
        }
    }

    static var backup: Command {
        Command("backup", summary: "Write a backup (or escrow) bundle under an approved BACKUP operation",
                usage: "--operation OP-ID --out FILE [--key NAME ...]",
                options: ClientOptions.specs + [
                    .value("operation", "OP-ID", help: "The approved operation."),
                    .value("out", "FILE", help: "Where to write the bundle."),
                    .value("key", "NAME", help: "A key to include (repeat; none = every key that allows backup)."),
                ]) { args in
            try await run(args) { connection in
                let out = try args.required("out")
                var request = backupRequest(args)
                request.operationId = try args.required("operation")
                let response = try await connection.admin.backup(request, options: options(args))
                do { try Data(response.bundle).write(to: URL(fileURLWithPath: out)) } catch {
                    throw LocalFileError("cannot write \(out): \(error)")
                }
                if args.flag("json") {
                    Output.json(["bundle": out, "keys": response.keyNames, "bundle_sha256": response.bundleSha256.hexString,
                                 "bytes": response.bundle.count])
                } else {
                    Output.line("wrote \(out): \(response.bundle.count) bytes, sha256 \(response.bundleSha256.hexString)")
                    Output.line("keys: \(response.keyNames.joined(separator: ", "))")
                }
            }
        }
    }

    static var restore: Command {
        Command("restore", summary: "Restore a bundle under an approved RESTORE (or ESCROW_RECOVERY) operation",
                usage: "--operation OP-ID --bundle FILE [--backend NAME]",
                options: ClientOptions.specs + [
                    .value("operation", "OP-ID", help: "The approved operation."),
                    .value("bundle", "FILE", help: "The bundle file."),
                    .value("backend", "NAME", help: "Target node (default: first primary)."),
                ]) { args in
            try await run(args) { connection in
                var request = try restoreRequest(args)
                request.operationId = try args.required("operation")
                let response = try await connection.admin.restore(request, options: options(args))
                if args.flag("json") {
                    Output.json(["restored": response.restoredKeys, "skipped": response.skippedKeys])
                } else {
                    Output.line("restored: \(response.restoredKeys.joined(separator: ", "))")
                    if !response.skippedKeys.isEmpty { Output.line("skipped: \(response.skippedKeys.joined(separator: ", "))") }
                }
            }
        }
    }

    static var destroy: Command {
        Command("destroy", summary: "Schedule a key version's destruction under an approved DESTROY_KEY operation",
                usage: "NAME --version N --operation OP-ID [--wait-days D]",
                options: ClientOptions.specs + [
                    .value("version", "N", help: "The key version."),
                    .value("wait-days", "DAYS", help: "Waiting period (must match the proposal)."),
                    .value("operation", "OP-ID", help: "The approved operation."),
                ]) { args in
            try await run(args) { connection in
                let request = try destroyRequest(args, nameAt: 0)
                var call = options(args)
                call.metadata.add("x-quorum-operation", try args.required("operation"))
                let key = try await connection.keys.scheduleDestruction(request, options: call)
                KeyCommands.print(key, args)
            }
        }
    }
}
