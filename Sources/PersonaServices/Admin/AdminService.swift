// The AdminService handlers: M-of-N quorum (propose, approve, list pending), backup and restore
// bundles (escrow bundles included), and audit checkpoints. Backup and restore run only on an
// approved operation bound to the SHA-256 of the exact request (serialized with operation_id
// empty, the field that names the approval), and consume it: one approval, one execution.

import AuditLog
import Custody
import Foundation
import PersonaProtos
import RPCCore
import SoftCrypto

/// Implements `persona.hsm.v1.AdminService`.
public struct AdminService: AdminServiceHandler {
    let environment: ServiceEnvironment

    public init(environment: ServiceEnvironment) {
        self.environment = environment
    }

    public func backup(_ request: BackupRequest, context: ServerContext) async throws -> BackupResponse {
        let custodian = try environment.quorum.requireCustodian()
        try environment.health.requireHSM()
        _ = try mappedSync { try custodian.records(for: request.keyNames) }
        var unsigned = request
        unsigned.operationId = ""
        try await environment.consumeQuorum(.backup, operationID: request.operationId,
                                            digestInput: unsigned.serializedBytes(), context: context)
        let bundle = try await mappedCustody { try await custodian.backup(keyNames: request.keyNames) }
        let bytes = bundle.serialized
        let digest = SHA256.hash(bytes)
        try await environment.audit.recordDurably(
            context, keyName: bundle.header.keys.joined(separator: ","), version: 0,
            requestDigest: SHA256.hash(unsigned.serializedBytes()), outcome: .ok, message: "\(bundle.header.kind) bundle written",
            extra: ["quorum_operation": request.operationId, "bundle_sha256": digest.hexString,
                    "bundle_kind": bundle.header.kind, "source_node": bundle.header.sourceNode])
        return BackupResponse(bundle: bytes, keyNames: bundle.header.keys, bundleSha256: digest)
    }

    public func restore(_ request: RestoreRequest, context: ServerContext) async throws -> RestoreResponse {
        let custodian = try environment.quorum.requireCustodian()
        try environment.health.requireHSM()
        let bundle = try mappedSync { try BackupBundle(serialized: request.bundle) }
        guard request.backend.isEmpty || custodian.hasNode(request.backend) else {
            throw RPCError(.notFound, "no backend \(request.backend)",
                           details: ErrorDetails(reason: "BACKEND_NOT_FOUND", subject: "backend"))
        }
        var unsigned = request
        unsigned.operationId = ""
        // Escrow bundles hold the per-credential master keys: their recovery is its own operation.
        let kind: QuorumOperationKind = bundle.header.kind == "escrow" ? .escrowRecovery : .restore
        try await environment.consumeQuorum(kind, operationID: request.operationId,
                                            digestInput: unsigned.serializedBytes(), context: context)
        let outcome = try await mappedCustody {
            try await custodian.restore(bundle, backend: request.backend.isEmpty ? nil : request.backend)
        }
        try await environment.audit.recordDurably(
            context, keyName: outcome.restored.joined(separator: ","), version: 0,
            requestDigest: SHA256.hash(unsigned.serializedBytes()), outcome: .ok, message: "\(bundle.header.kind) restored",
            extra: ["quorum_operation": request.operationId, "bundle_sha256": SHA256.hash(request.bundle).hexString,
                    "skipped": outcome.skipped.joined(separator: ",")])
        return RestoreResponse(restoredKeys: outcome.restored, skippedKeys: outcome.skipped)
    }

    public func proposeOperation(_ request: ProposeOperationRequest, context: ServerContext) async throws
        -> QuorumOperationStatus
    {
        let ledger = try environment.quorum.requireLedger()
        let kind = try Self.kind(request.operation)
        let digest = SHA256.hash(try Self.canonicalRequest(kind, request.request))
        let status = try await mappedCustody {
            try await ledger.propose(kind: kind, requestSHA256: digest, proposer: context.peer.name,
                                     justification: request.justification)
        }
        try await environment.audit.recordDurably(
            context, keyName: "", version: 0, requestDigest: digest, outcome: .ok, message: request.justification,
            extra: ["quorum_event": "propose", "quorum_operation": status.proposal.id, "quorum_kind": kind.rawValue,
                    "expires_unix_millis": String(status.proposal.expiresMillis)])
        return Self.wire(status)
    }

    public func approve(_ request: ApproveRequest, context: ServerContext) async throws -> QuorumOperationStatus {
        let ledger = try environment.quorum.requireLedger()
        let status = try await mappedCustody {
            try await ledger.approve(id: request.operationId, requestSHA256: request.requestSha256,
                                     identity: context.peer.name)
        }
        try await environment.audit.recordDurably(
            context, keyName: "", version: 0, requestDigest: request.requestSha256, outcome: .ok,
            message: "approval \(status.approvers.count) of \(status.required)",
            extra: ["quorum_event": "approve", "quorum_operation": request.operationId,
                    "quorum_kind": status.proposal.kind.rawValue, "approved": String(status.approved)])
        return Self.wire(status)
    }

    public func listPending(_ request: ListPendingRequest, context: ServerContext) async throws -> ListPendingResponse {
        guard let ledger = environment.quorum.ledger else { return ListPendingResponse(operations: []) }
        let pending = try await mappedCustody { try await ledger.pending() }
        return ListPendingResponse(operations: pending.map(Self.wire))
    }

    public func checkpointAudit(_ request: AuditCheckpointRequest, context: ServerContext) async throws
        -> PersonaProtos.AuditCheckpoint
    {
        let checkpoint = try await mapped { try await environment.audit.log.checkpoint() }
        return PersonaProtos.AuditCheckpoint(sequence: checkpoint.coveredSeq, chainHash: checkpoint.coveredHash,
                                             signature: checkpoint.signature, auditKeyName: checkpoint.keyName,
                                             auditKeyVersion: checkpoint.keyVersion,
                                             unixMillis: checkpoint.time.unixMillis)
    }
}
