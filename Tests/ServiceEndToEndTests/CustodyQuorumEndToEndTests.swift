// M-of-N quorum over the wire, against a real server with three admin certificates and the
// ledger on a real SoftHSM2 token: one admin alone cannot back up or destroy, a second approval
// by the same identity counts once, approvals of another digest or after expiry (simulated clock)
// do not count, an approved operation runs once and only for the exact request it was approved
// for, and proposal, approvals and execution are in the audit log.

import Custody
import Foundation
import PersonaClient
import PersonaProtos
import PKCS11
import PersonaServer
import PersonaServices
import RPCCore
import SoftCrypto
import Testing
import TestSupport

@Suite("Custody: M-of-N quorum end to end", .serialized)
struct CustodyQuorumEndToEndTests {
    static let token = "e2e-quorum"
    static let vault = "e2e-quorum-vault"

    /// - Parameter vault: the vault token (each suite has its own: suites run concurrently).
    static func custody(ttlSeconds: Double = 600, vault: String = vault) throws -> CustodyConfig {
        _ = try TestHSM.token(vault)
        return CustodyConfig(
            quorum: QuorumSettings(required: 2, approvers: ["admin", "admin2", "admin3"].map(InProcessServer.identity),
                                   approvalTTLSeconds: ttlSeconds),
            vault: VaultConfig(module: DevToken.defaultModulePath, token: vault, pinFile: TestHSM.folder + "/user.pin",
                               pinEnv: nil))
    }

    static func withServer(_ body: (InProcessServer) async throws -> Void) async throws {
        let server = try await InProcessServer.start(tokenLabel: token, custody: try custody())
        do {
            try await body(server)
            await server.shutdown()
        } catch {
            await server.shutdown()
            throw error
        }
    }

    static func ensureKey(_ server: InProcessServer, _ name: String, _ algorithm: PersonaProtos.Algorithm) async throws {
        guard !server.server.registry.list().contains(where: { $0.name == name }) else { return }
        _ = try await server.connect(as: "admin").keys.createKey(CreateKeyRequest(name: name, algorithm: algorithm,
                                                                                   allowBackup: true))
    }

    @Test("one admin alone cannot back up or destroy; the same identity approving twice counts once")
    func oneAdminIsNotAQuorum() async throws {
        try await Self.withServer { server in
            try await Self.ensureKey(server, "quorum-ed", .ed25519)
            let admin = try server.connect(as: "admin")
            let admin2 = try server.connect(as: "admin2")
            let backup = BackupRequest(keyNames: ["quorum-ed"])
            await expectStatus(.failedPrecondition, reason: "QUORUM_REQUIRED", "backup without an operation") {
                try await admin.admin.backup(backup)
            }
            let proposed = try await admin.admin.proposeOperation(ProposeOperationRequest(
                operation: .backup, request: backup.serializedBytes(), justification: "nightly"))
            #expect(proposed.requestSha256 == SHA256.hash(backup.serializedBytes()))
            #expect(!proposed.approved && proposed.approvers.isEmpty && proposed.approvalsRequired == 2)
            #expect(proposed.proposer == InProcessServer.identity("admin"))
            let once = try await admin.admin.approve(ApproveRequest(operationId: proposed.operationId,
                                                                    requestSha256: proposed.requestSha256))
            let twice = try await admin.admin.approve(ApproveRequest(operationId: proposed.operationId,
                                                                     requestSha256: proposed.requestSha256))
            #expect(once.approvers == [InProcessServer.identity("admin")] && twice.approvers == once.approvers)
            #expect(!twice.approved)
            var approvedBackup = backup
            approvedBackup.operationId = proposed.operationId
            await expectStatus(.failedPrecondition, reason: "QUORUM_NOT_REACHED", "backup with one admin's approvals") {
                try await admin.admin.backup(approvedBackup)
            }
            let pending = try await admin.admin.listPending(ListPendingRequest())
            #expect(pending.operations.first { $0.operationId == proposed.operationId }?.approvers.count == 1)

            // Destruction: refused without an operation and with one admin; allowed with two, once.
            let destroy = ScheduleDestructionRequest(name: "quorum-ed", version: 1, waitSeconds: 86_400)
            await expectStatus(.failedPrecondition, reason: "QUORUM_REQUIRED", "destruction without an operation") {
                try await admin.keys.scheduleDestruction(destroy)
            }
            let destroyOp = try await admin.admin.proposeOperation(ProposeOperationRequest(
                operation: .destroyKey, request: destroy.serializedBytes(), justification: "retire"))
            var metadata = Metadata()
            metadata.add("x-quorum-operation", destroyOp.operationId)
            let options = CallOptions(metadata: metadata)
            _ = try await admin.admin.approve(ApproveRequest(operationId: destroyOp.operationId,
                                                             requestSha256: destroyOp.requestSha256))
            _ = try await admin.admin.approve(ApproveRequest(operationId: destroyOp.operationId,
                                                             requestSha256: destroyOp.requestSha256))
            await expectStatus(.failedPrecondition, reason: "QUORUM_NOT_REACHED", "destruction with one admin") {
                try await admin.keys.scheduleDestruction(destroy, options: options)
            }
            let second = try await admin2.admin.approve(ApproveRequest(operationId: destroyOp.operationId,
                                                                       requestSha256: destroyOp.requestSha256))
            #expect(second.approved && second.approvers.count == 2)
            await expectStatus(.failedPrecondition, reason: "DIGEST_MISMATCH", "an approved op for another request") {
                try await admin.keys.scheduleDestruction(
                    ScheduleDestructionRequest(name: "quorum-ed", version: 1, waitSeconds: 2 * 86_400), options: options)
            }
            let scheduled = try await admin.keys.scheduleDestruction(destroy, options: options)
            #expect(scheduled.versions.first?.state == .destructionScheduled)
            await expectStatus(.failedPrecondition, reason: "ALREADY_EXECUTED", "the same approval twice") {
                try await admin.keys.scheduleDestruction(destroy, options: options)
            }
            _ = try await admin.keys.cancelDestruction(KeyVersionRef(name: "quorum-ed", version: 1))

            // Proposal, approvals and the execution are audited with the operation id.
            let audit = server.auditPath
            for event in ["propose", "approve", "execute"] {
                let record = try await AuditFile.waitFor(path: audit) { record in
                    let extra = record["extra"] as? [String: Any]
                    return extra?["quorum_event"] as? String == event
                        && extra?["quorum_operation"] as? String == destroyOp.operationId
                }
                #expect(record != nil, "no audit record of \(event)")
            }
        }
    }

    @Test("approvals of a different digest, or given after expiry, do not count")
    func wrongDigestAndExpiry() async throws {
        try await Self.withServer { server in
            try await Self.ensureKey(server, "quorum-p256", .ecdsaP256Sha256)
            let admin = try server.connect(as: "admin")
            let admin2 = try server.connect(as: "admin2")
            let admin3 = try server.connect(as: "admin3")
            let backup = BackupRequest(keyNames: ["quorum-p256"])
            let op = try await admin.admin.proposeOperation(ProposeOperationRequest(
                operation: .backup, request: backup.serializedBytes()))
            let other = SHA256.hash(BackupRequest(keyNames: ["quorum-ed"]).serializedBytes())
            await expectStatus(.failedPrecondition, reason: "DIGEST_MISMATCH", "approval of another digest") {
                try await admin2.admin.approve(ApproveRequest(operationId: op.operationId, requestSha256: other))
            }
            _ = try await admin.admin.approve(ApproveRequest(operationId: op.operationId, requestSha256: op.requestSha256))
            let status = try await admin.admin.listPending(ListPendingRequest()).operations.first {
                $0.operationId == op.operationId
            }
            #expect(status?.approvers == [InProcessServer.identity("admin")] && status?.approved == false)
            // Executing a different request under this operation is refused even once approved.
            let approved = try await admin3.admin.approve(ApproveRequest(operationId: op.operationId,
                                                                         requestSha256: op.requestSha256))
            #expect(approved.approved)
            await expectStatus(.failedPrecondition, reason: "DIGEST_MISMATCH", "another request under the approval") {
                try await admin.admin.backup(BackupRequest(keyNames: [], operationId: op.operationId))
            }

            // Expiry: an approval after the TTL is refused; a quorum reached before expiry cannot
            // be executed after it; expired operations leave the pending list.
            let late = try await admin.admin.proposeOperation(ProposeOperationRequest(
                operation: .backup, request: backup.serializedBytes()))
            _ = try await admin.admin.approve(ApproveRequest(operationId: late.operationId,
                                                             requestSha256: late.requestSha256))
            let ripe = try await admin.admin.proposeOperation(ProposeOperationRequest(
                operation: .backup, request: backup.serializedBytes()))
            _ = try await admin.admin.approve(ApproveRequest(operationId: ripe.operationId, requestSha256: ripe.requestSha256))
            _ = try await admin2.admin.approve(ApproveRequest(operationId: ripe.operationId,
                                                              requestSha256: ripe.requestSha256))
            server.clock.advance(days: 601.0 / 86_400)
            await expectStatus(.failedPrecondition, reason: "EXPIRED", "approval after expiry") {
                try await admin2.admin.approve(ApproveRequest(operationId: late.operationId,
                                                              requestSha256: late.requestSha256))
            }
            await expectStatus(.failedPrecondition, reason: "EXPIRED", "execution after expiry") {
                try await admin.admin.backup(BackupRequest(keyNames: ["quorum-p256"], operationId: ripe.operationId))
            }
            let pending = try await admin.admin.listPending(ListPendingRequest()).operations.map(\.operationId)
            #expect(!pending.contains(late.operationId) && !pending.contains(ripe.operationId))
            await expectStatus(.notFound, reason: "OPERATION_NOT_FOUND", "unknown operation") {
                try await admin.admin.approve(ApproveRequest(operationId: "op-000000000000000000000000",
                                                             requestSha256: op.requestSha256))
            }
        }
    }

    @Test("a changed policy file takes effect on reload only under an approved POLICY_CHANGE for its bytes")
    func policyChange() async throws {
        try await Self.withServer { server in
            let admin = try server.connect(as: "admin")
            let verifier = try server.connect(as: "verifier")
            _ = try await verifier.health.check(HealthCheckRequest())
            // The new policy drops the verifier identity.
            let policy = AccessPolicy(roles: AccessPolicy.standardRoles(), identities: Dictionary(uniqueKeysWithValues:
                (InProcessServer.roles.filter { $0 != "verifier" } + InProcessServer.extraAdmins).map {
                    (InProcessServer.identity($0), [InProcessServer.extraAdmins.contains($0) ? "admin" : $0])
                }))
            let bytes = Array(try JSONEncoder().encode(policy))
            try Data(bytes).write(to: URL(fileURLWithPath: server.server.config.policy))
            #expect(await server.server.reloadPolicyUnderQuorum() == false, "an unapproved change was installed")
            _ = try await verifier.health.check(HealthCheckRequest())

            let op = try await admin.admin.proposeOperation(ProposeOperationRequest(operation: .policyChange,
                                                                                    request: bytes))
            #expect(op.requestSha256 == SHA256.hash(bytes))
            _ = try await admin.admin.approve(ApproveRequest(operationId: op.operationId, requestSha256: op.requestSha256))
            #expect(await server.server.reloadPolicyUnderQuorum() == false, "one approval installed a policy")
            _ = try await server.connect(as: "admin3").admin.approve(ApproveRequest(operationId: op.operationId,
                                                                                   requestSha256: op.requestSha256))
            #expect(await server.server.reloadPolicyUnderQuorum())
            await expectStatus(.permissionDenied, "verifier after the approved policy change") {
                try await verifier.health.check(HealthCheckRequest())
            }
            let record = try await AuditFile.waitFor(path: server.auditPath) { record in
                let extra = record["extra"] as? [String: Any]
                return extra?["quorum_kind"] as? String == "policy-change" && extra?["quorum_operation"] as? String == op.operationId
            }
            #expect(record != nil, "no audit record of the policy change")
        }
    }
}
