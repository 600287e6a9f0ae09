// The requests `personahsm admin` proposes and executes, built the same way both times so that
// the SHA-256 the approvers approved is the SHA-256 of the request that runs; and how quorum
// operations are printed.

import ArgumentParsing
import Foundation
import PersonaProtos
import RPCCore
import SoftCrypto

extension AdminCommands {
    static func proposedRequest(_ kind: String, _ args: ParsedArguments) throws -> (QuorumOperation, [UInt8]) {
        switch kind {
        case "backup": return (.backup, backupRequest(args).serializedBytes())
        case "restore": return (.restore, try restoreRequest(args).serializedBytes())
        case "escrow-recovery": return (.escrowRecovery, try restoreRequest(args).serializedBytes())
        case "destroy-key": return (.destroyKey, try destroyRequest(args, nameAt: 1).serializedBytes())
        case "policy-change":
            let path = try args.required("policy")
            guard let data = FileManager.default.contents(atPath: path) else { throw LocalFileError("cannot read \(path)") }
            return (.policyChange, Array(data))
        default:
            throw UsageError("unknown operation \(kind); use backup, restore, escrow-recovery, destroy-key or policy-change")
        }
    }

    static func backupRequest(_ args: ParsedArguments) -> BackupRequest {
        BackupRequest(keyNames: Set(args.allValues("key")).sorted())
    }

    static func restoreRequest(_ args: ParsedArguments) throws -> RestoreRequest {
        let path = try args.required("bundle")
        guard let data = FileManager.default.contents(atPath: path) else { throw LocalFileError("cannot read \(path)") }
        return RestoreRequest(bundle: Array(data), backend: args.value("backend") ?? "")
    }

    /// - Parameter nameAt: the positional that holds the key name.
    static func destroyRequest(_ args: ParsedArguments, nameAt: Int) throws -> ScheduleDestructionRequest {
        let name = try args.positional(nameAt, "key NAME")
        _ = try args.required("version")
        let version = try args.integer("version", default: 0, range: 1...Int(UInt32.max))
        let days = try args.integer("wait-days", default: 0, range: 0...3650)
        return ScheduleDestructionRequest(name: name, version: UInt32(version), waitSeconds: UInt64(days) * 86_400)
    }

    static func dictionary(_ status: QuorumOperationStatus) -> [String: Any] {
        ["operation_id": status.operationId, "operation": status.operation.description,
         "request_sha256": status.requestSha256.hexString, "proposer": status.proposer, "approvers": status.approvers,
         "approvals_required": status.approvalsRequired, "expires_unix_millis": status.expiresUnixMillis,
         "approved": status.approved, "executed": status.executed]
    }

    static func summary(_ status: QuorumOperationStatus) -> String {
        let expires = Date(timeIntervalSince1970: Double(status.expiresUnixMillis) / 1000)
        return "\(status.operationId)  \(status.operation)  \(status.approvers.count)/\(status.approvalsRequired) approvals"
            + (status.approved ? " (approved)" : "") + (status.executed ? " (executed)" : "")
            + "  proposer \(status.proposer)  expires \(ISO8601DateFormatter().string(from: expires))"
            + "\n    request sha256 \(status.requestSha256.hexString)"
            + (status.approvers.isEmpty ? "" : "\n    approved by \(status.approvers.joined(separator: ", "))")
    }

    static func printStatus(_ status: QuorumOperationStatus, _ args: ParsedArguments) {
        if args.flag("json") { Output.json(dictionary(status)) } else { Output.line(summary(status)) }
    }
}
