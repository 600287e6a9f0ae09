// Policy changes under quorum. With `custody.quorum` configured, a SIGHUP installs a changed
// access-policy file only if M approvers approved a POLICY_CHANGE operation whose request is that
// file's exact bytes; the approval is consumed and the change audited. Otherwise the old policy
// stays in force and the refusal is logged and audited. TLS credentials and CRLs reload as before
// (revoking a certificate must never wait for a quorum).

import AuditLog
import Custody
import Foundation
import PersonaServices
import SoftCrypto

extension PersonaHSMServer {
    /// Reloads the policy file if it is unchanged or its change was approved.
    /// - Returns: whether the file's policy is now in force.
    @discardableResult
    public func reloadPolicyUnderQuorum() async -> Bool {
        guard let ledger = quorum.ledger else { return false }
        guard let data = FileManager.default.contents(atPath: config.policy) else {
            logger.error("policy reload failed; keeping the old policy", ["error": .string("cannot read \(config.policy)")])
            return false
        }
        let digest = SHA256.hash(Array(data))
        if digest == quorum.installedPolicyDigest { return true }
        let policy: AccessPolicy
        do { policy = try JSONDecoder().decode(AccessPolicy.self, from: data) } catch {
            logger.error("policy reload failed; keeping the old policy", ["error": .string("\(error)")])
            return false
        }
        do {
            guard let id = try await ledger.approvedOperation(kind: .policyChange, requestSHA256: digest) else {
                throw CustodyError(.failedPrecondition, "no approved POLICY_CHANGE operation for this file",
                                   reason: "QUORUM_REQUIRED")
            }
            let status = try await ledger.consume(id: id, kind: .policyChange, requestSHA256: digest, executor: "SIGHUP")
            authorizer.replacePolicy(policy)
            quorum.installedPolicyDigest = digest
            _ = audit.appendDetached(AuditEvent(
                identity: "<sighup>", method: "/personahsmd/PolicyReload", requestSHA256: digest, outcome: "OK",
                message: "access policy changed", extra: ["quorum_event": "execute", "quorum_operation": id,
                                                          "quorum_kind": "policy-change",
                                                          "quorum_approvers": status.approvers.joined(separator: ",")]))
            logger.info("access policy reloaded under quorum", ["operation": .string(id)])
            return true
        } catch {
            _ = audit.appendDetached(AuditEvent(identity: "<sighup>", method: "/personahsmd/PolicyReload",
                                                requestSHA256: digest, outcome: "FAILED_PRECONDITION",
                                                message: "policy change refused: \(error)"))
            logger.error("policy change refused; keeping the old policy (propose POLICY_CHANGE with the file and "
                         + "collect approvals)", ["error": .string("\(error)"), "sha256": .string(digest.hexString)])
            return false
        }
    }
}
