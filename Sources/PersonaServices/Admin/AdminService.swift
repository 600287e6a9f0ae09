// The AdminService handlers. Audit checkpoints are served here; backup, restore and M-of-N
// quorum belong to the high-availability and key-custody work and answer UNIMPLEMENTED until
// then, with a message saying so.

import AuditLog
import Foundation
import PersonaProtos
import RPCCore

/// Implements `persona.hsm.v1.AdminService`.
public struct AdminService: AdminServiceHandler {
    let environment: ServiceEnvironment

    public init(environment: ServiceEnvironment) {
        self.environment = environment
    }

    public func backup(_ request: BackupRequest, context: ServerContext) async throws -> BackupResponse {
        throw Self.notYet("Backup")
    }

    public func restore(_ request: RestoreRequest, context: ServerContext) async throws -> RestoreResponse {
        throw Self.notYet("Restore")
    }

    public func proposeOperation(_ request: ProposeOperationRequest, context: ServerContext) async throws
        -> QuorumOperationStatus
    {
        throw Self.notYet("ProposeOperation")
    }

    public func approve(_ request: ApproveRequest, context: ServerContext) async throws -> QuorumOperationStatus {
        throw Self.notYet("Approve")
    }

    public func listPending(_ request: ListPendingRequest, context: ServerContext) async throws -> ListPendingResponse {
        ListPendingResponse(operations: [])
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

    static func notYet(_ method: String) -> RPCError {
        RPCError(.unimplemented, "\(method) needs the quorum and backup features, which this release does not have yet",
                 details: ErrorDetails(reason: "NOT_YET_AVAILABLE"))
    }
}
