// Pending quorum operations, kept on the HSM as CKO_DATA objects (application
// `personahsm/quorum`) so that every server instance in front of the cluster shares them, with no
// consensus protocol of our own. Each check-and-write runs inside one closure on the ledger node's
// serial queue, which makes it atomic within this process; the same objects are then copied to the
// other nodes of the cluster. Across instances, two executions of one operation racing within the
// same few milliseconds are not excluded by Cryptoki (it has no compare-and-swap): docs/SECURITY.md
// says so.
//
// Layout: `op:<id>` holds the proposal, `op:<id>:approval:<sha256(identity)>` one approval per
// identity, `op:<id>:executed` the execution record.

import Foundation
import KeyRegistry
import PKCS11
import SoftCrypto

/// Proposals, approvals and executions of quorum operations.
public final class QuorumLedger: Sendable {
    /// CKA_APPLICATION of ledger objects.
    public static let application = "personahsm/quorum"

    public let settings: QuorumSettings
    let nodes: [TokenNode]
    let now: @Sendable () -> Int64

    /// - Parameters:
    ///   - nodes: the nodes that hold the ledger (the primary cluster); the first that answers is
    ///     read, every one is written.
    ///   - now: milliseconds since the epoch (injectable so tests can expire approvals).
    public init(settings: QuorumSettings, nodes: [TokenNode], now: @escaping @Sendable () -> Int64) {
        precondition(!nodes.isEmpty, "the quorum ledger needs a node")
        self.settings = settings
        self.nodes = nodes
        self.now = now
    }

    /// Most operations that may be open (neither executed nor expired) at once: each is a token
    /// object that every proposal, ListPending and backup bundle carries along.
    public static let maxOpenOperations = 100
    /// Longest justification, in UTF-8 bytes (it is stored on the token and in the audit log).
    public static let maxJustificationBytes = 4096

    /// Records a new proposal for `kind` bound to `requestSHA256` (32 bytes).
    /// - Throws: INVALID_ARGUMENT for a bad digest or an oversized justification,
    ///   RESOURCE_EXHAUSTED (`TOO_MANY_OPEN_OPERATIONS`) when `maxOpenOperations` are open.
    public func propose(kind: QuorumOperationKind, requestSHA256: [UInt8], proposer: String,
                        justification: String) async throws -> QuorumStatus {
        guard requestSHA256.count == 32 else {
            throw CustodyError(.invalidArgument, "the request digest must be 32 bytes", reason: "BAD_DIGEST")
        }
        guard justification.utf8.count <= Self.maxJustificationBytes else {
            throw CustodyError(.invalidArgument, "justification is \(justification.utf8.count) bytes; at most "
                               + "\(Self.maxJustificationBytes)", reason: "JUSTIFICATION_TOO_LONG")
        }
        let created = now()
        let proposal = QuorumProposal(id: "op-" + (try SecureRandom.bytes(12)).hexString, kind: kind,
                                      requestSHA256: requestSHA256.hexString, proposer: proposer,
                                      justification: justification, createdMillis: created,
                                      expiresMillis: created + settings.ttlMillis)
        let value = try Self.encode(proposal)
        try await write { session in
            let (pruned, open) = try Self.prune(session: session, nowMillis: created)
            guard open < Self.maxOpenOperations else {
                throw CustodyError(.resourceExhausted, "\(open) quorum operations are open (at most "
                                   + "\(Self.maxOpenOperations)); approve and run them or let them expire",
                                   reason: "TOO_MANY_OPEN_OPERATIONS")
            }
            _ = try session.storeData(value, application: Self.application, label: Self.label(proposal.id))
            return pruned + [(Self.label(proposal.id), value)]
        }
        return QuorumStatus(proposal: proposal, approvals: [], executed: false, settings: settings, nowMillis: created)
    }

    /// Adds `identity`'s approval. The identity must be one of the N approvers, the digest must be
    /// the proposal's, and the proposal must be neither expired nor executed; otherwise nothing is
    /// recorded. Approving twice replaces the first approval (it counts once).
    public func approve(id: String, requestSHA256: [UInt8], identity: String) async throws -> QuorumStatus {
        guard settings.approvers.contains(identity) else {
            throw CustodyError(.permissionDenied, "\(identity) is not one of the quorum approvers",
                               reason: "NOT_AN_APPROVER")
        }
        let time = now()
        let settings = settings
        return try await writeReturning { session in
            let (proposal, approvals, executed) = try Self.read(id: id, session: session)
            guard !executed else {
                throw CustodyError(.failedPrecondition, "operation \(id) was already executed", reason: "ALREADY_EXECUTED")
            }
            guard time < proposal.expiresMillis else {
                throw CustodyError(.failedPrecondition, "operation \(id) expired; propose it again", reason: "EXPIRED")
            }
            guard requestSHA256.hexString == proposal.requestSHA256 else {
                throw CustodyError(.failedPrecondition,
                                   "request_sha256 does not match operation \(id)'s request digest; approval not recorded",
                                   reason: "DIGEST_MISMATCH")
            }
            let approval = QuorumApproval(identity: identity, requestSHA256: proposal.requestSHA256, millis: time)
            let label = Self.approvalLabel(id, identity)
            let value = try Self.encode(approval)
            _ = try session.storeData(value, application: Self.application, label: label)
            let others = approvals.filter { $0.identity != identity }
            let status = QuorumStatus(proposal: proposal, approvals: others + [approval], executed: false,
                                      settings: settings, nowMillis: time)
            return (status, [(label, value)])
        }
    }

    /// The status of one operation.
    public func status(id: String) async throws -> QuorumStatus {
        let time = now()
        let settings = settings
        return try await readNode { session in
            let (proposal, approvals, executed) = try Self.read(id: id, session: session)
            return QuorumStatus(proposal: proposal, approvals: approvals, executed: executed, settings: settings,
                                nowMillis: time)
        }
    }

    /// Operations neither executed nor expired, oldest first.
    public func pending() async throws -> [QuorumStatus] {
        let time = now()
        let settings = settings
        return try await readNode { session in
            var result: [QuorumStatus] = []
            for label in try session.dataLabels(application: Self.application) where Self.isProposalLabel(label) {
                let id = String(label.dropFirst(3))
                guard let (proposal, approvals, executed) = try? Self.read(id: id, session: session) else { continue }
                let status = QuorumStatus(proposal: proposal, approvals: approvals, executed: executed,
                                          settings: settings, nowMillis: time)
                if !status.executed && !status.expired { result.append(status) }
            }
            return result.sorted { $0.proposal.createdMillis < $1.proposal.createdMillis }
        }
    }

    /// Marks operation `id` executed, if and only if it is a `kind` operation bound to exactly
    /// `requestSHA256`, approved by M distinct approvers, unexpired and not executed before.
    /// Call it before doing the operation: a failed execution still uses the approval up.
    /// - Returns: the status at execution time (for the audit record).
    public func consume(id: String, kind: QuorumOperationKind, requestSHA256: [UInt8], executor: String)
        async throws -> QuorumStatus
    {
        guard !id.isEmpty else {
            throw CustodyError(.failedPrecondition, "this operation needs quorum approval: propose it, collect "
                               + "\(settings.required) approvals, then pass the operation id", reason: "QUORUM_REQUIRED")
        }
        let time = now()
        let settings = settings
        return try await writeReturning { session in
            let (proposal, approvals, executed) = try Self.read(id: id, session: session)
            let status = QuorumStatus(proposal: proposal, approvals: approvals, executed: executed, settings: settings,
                                      nowMillis: time)
            guard proposal.kind == kind else {
                throw CustodyError(.failedPrecondition, "operation \(id) approves \(proposal.kind.rawValue), not "
                                   + kind.rawValue, reason: "WRONG_OPERATION")
            }
            guard proposal.requestSHA256 == requestSHA256.hexString else {
                throw CustodyError(.failedPrecondition, "this request's SHA-256 (\(requestSHA256.hexString)) is not the "
                                   + "one operation \(id) approved", reason: "DIGEST_MISMATCH")
            }
            guard !executed else {
                throw CustodyError(.failedPrecondition, "operation \(id) was already executed", reason: "ALREADY_EXECUTED")
            }
            guard !status.expired else {
                throw CustodyError(.failedPrecondition, "operation \(id) expired; propose it again", reason: "EXPIRED")
            }
            guard status.approved else {
                throw CustodyError(.failedPrecondition, "operation \(id) has \(status.approvers.count) of "
                                   + "\(settings.required) approvals", reason: "QUORUM_NOT_REACHED")
            }
            let label = Self.label(id) + ":executed"
            let value = try Self.encode(QuorumExecution(executor: executor, millis: time))
            _ = try session.storeData(value, application: Self.application, label: label)
            var done = status
            done.executed = true
            return (done, [(label, value)])
        }
    }
}

extension QuorumLedger {
    /// The id of an approved, unexpired, unexecuted `kind` operation bound to `requestSHA256`
    /// (for operations that arrive without an id, such as a policy file installed before SIGHUP).
    public func approvedOperation(kind: QuorumOperationKind, requestSHA256: [UInt8]) async throws -> String? {
        try await pending().first {
            $0.approved && $0.proposal.kind == kind && $0.proposal.requestSHA256 == requestSHA256.hexString
        }?.proposal.id
    }
}
