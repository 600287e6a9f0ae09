// What the quorum ledger stores on the token for one proposed operation, and the status it
// computes from the stored approvals. Stored as JSON in CKO_DATA objects, so every server
// instance in front of the HSM cluster sees the same proposals and approvals.

import Foundation

/// Operations that need a quorum (mirrors `persona.hsm.v1.QuorumOperation`).
public enum QuorumOperationKind: String, Codable, Sendable, CaseIterable {
    case backup
    case restore
    case destroyKey = "destroy-key"
    case policyChange = "policy-change"
    case escrowRecovery = "escrow-recovery"
}

/// A proposal as stored on the token.
public struct QuorumProposal: Codable, Hashable, Sendable {
    public var id: String
    public var kind: QuorumOperationKind
    /// SHA-256 of the exact serialized request, hex.
    public var requestSHA256: String
    public var proposer: String
    public var justification: String
    public var createdMillis: Int64
    public var expiresMillis: Int64
}

/// One admin's approval as stored on the token (one object per identity, so a second approval by
/// the same identity replaces the first instead of adding to the count).
struct QuorumApproval: Codable, Hashable, Sendable {
    var identity: String
    /// The digest the approver said they saw, hex; must equal the proposal's.
    var requestSHA256: String
    var millis: Int64
}

/// The record of an execution; its presence makes a second execution fail.
struct QuorumExecution: Codable, Hashable, Sendable {
    var executor: String
    var millis: Int64
}

/// A proposal with its counted approvals.
public struct QuorumStatus: Hashable, Sendable {
    public var proposal: QuorumProposal
    /// Distinct identities whose approvals count, sorted.
    public var approvers: [String]
    public var required: Int
    public var executed: Bool
    /// Whether the quorum is reached and the proposal has not expired.
    public var approved: Bool
    public var expired: Bool

    /// Counts `approvals` against `settings` at `nowMillis`: only identities in the approver
    /// list, only approvals of the proposal's digest, only approvals given before expiry, each
    /// identity once.
    init(proposal: QuorumProposal, approvals: [QuorumApproval], executed: Bool, settings: QuorumSettings,
         nowMillis: Int64) {
        self.proposal = proposal
        let allowed = Set(settings.approvers)
        approvers = Set(approvals.filter {
            allowed.contains($0.identity) && $0.requestSHA256 == proposal.requestSHA256
                && $0.millis < proposal.expiresMillis
        }.map(\.identity)).sorted()
        required = settings.required
        self.executed = executed
        expired = nowMillis >= proposal.expiresMillis
        approved = !expired && approvers.count >= settings.required
    }
}
