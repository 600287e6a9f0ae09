// Wire forms of quorum operations, and the canonical bytes a proposal's digest covers: the
// proposed request is parsed as the message its operation runs and serialized again with
// operation_id empty, so the digest is the one the executing call computes.

import Custody
import PersonaProtos
import RPCCore
import SoftCrypto

extension AdminService {
    static func kind(_ operation: QuorumOperation) throws -> QuorumOperationKind {
        switch operation {
        case .backup: return .backup
        case .restore: return .restore
        case .destroyKey: return .destroyKey
        case .policyChange: return .policyChange
        case .escrowRecovery: return .escrowRecovery
        default:
            throw RPCError(.invalidArgument, "operation must be BACKUP, RESTORE, DESTROY_KEY, POLICY_CHANGE or "
                           + "ESCROW_RECOVERY", details: ErrorDetails(reason: "BAD_OPERATION", subject: "operation"))
        }
    }

    static func wireKind(_ kind: QuorumOperationKind) -> QuorumOperation {
        switch kind {
        case .backup: .backup
        case .restore: .restore
        case .destroyKey: .destroyKey
        case .policyChange: .policyChange
        case .escrowRecovery: .escrowRecovery
        }
    }

    /// The bytes whose SHA-256 binds the approvals: the request re-serialized with operation_id
    /// empty (BACKUP, RESTORE, ESCROW_RECOVERY, DESTROY_KEY), or the new policy file as it will
    /// be installed (POLICY_CHANGE).
    static func canonicalRequest(_ kind: QuorumOperationKind, _ bytes: [UInt8]) throws -> [UInt8] {
        // An empty BackupRequest (every key that allows backup) serializes to zero bytes; only a
        // policy change needs content.
        guard !bytes.isEmpty || kind != .policyChange else {
            throw RPCError(.invalidArgument, "request is empty: propose the new policy file's bytes",
                           details: ErrorDetails(reason: "EMPTY_REQUEST", subject: "request"))
        }
        do {
            switch kind {
            case .backup:
                var request = try BackupRequest(serializedBytes: bytes)
                request.operationId = ""
                return request.serializedBytes()
            case .restore, .escrowRecovery:
                var request = try RestoreRequest(serializedBytes: bytes)
                request.operationId = ""
                return request.serializedBytes()
            case .destroyKey:
                return try ScheduleDestructionRequest(serializedBytes: bytes).serializedBytes()
            case .policyChange:
                return bytes
            }
        } catch {
            throw RPCError(.invalidArgument, "request does not parse as the \(kind.rawValue) request: \(error)",
                           details: ErrorDetails(reason: "BAD_REQUEST", subject: "request"))
        }
    }

    static func wire(_ status: QuorumStatus) -> QuorumOperationStatus {
        QuorumOperationStatus(operationId: status.proposal.id, operation: wireKind(status.proposal.kind),
                              requestSha256: [UInt8](hexString: status.proposal.requestSHA256) ?? [],
                              proposer: status.proposal.proposer, approvers: status.approvers,
                              approvalsRequired: UInt32(status.required), expiresUnixMillis: status.proposal.expiresMillis,
                              approved: status.approved, executed: status.executed)
    }
}

/// Runs `body`, turning custody and lower-layer errors into RPC errors.
func mappedSync<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as CustodyError {
        throw RPCError(custody: error)
    } catch {
        throw RPCError(mapping: error)
    }
}
