// M of N: how many distinct admin identities must approve a custody operation, which identities
// may approve, and how long approvals stay valid. Part of the server config (`custody.quorum`).

import Foundation

/// The quorum rule.
public struct QuorumSettings: Codable, Hashable, Sendable {
    /// M: distinct approvals an operation needs.
    public var required: Int
    /// The N identities (client-certificate identities, as the access policy names them) whose
    /// approvals count.
    public var approvers: [String]
    /// Seconds from proposal until the operation and its approvals expire.
    public var approvalTTLSeconds: Double

    enum CodingKeys: String, CodingKey {
        case required, approvers
        case approvalTTLSeconds = "approval_ttl_seconds"
    }

    public init(required: Int, approvers: [String], approvalTTLSeconds: Double = 3600) {
        self.required = required
        self.approvers = approvers
        self.approvalTTLSeconds = approvalTTLSeconds
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        required = try c.decode(Int.self, forKey: .required)
        approvers = try c.decode([String].self, forKey: .approvers)
        approvalTTLSeconds = try c.decodeIfPresent(Double.self, forKey: .approvalTTLSeconds) ?? 3600
    }

    /// Describes the first inconsistency, or nil.
    public var problem: String? {
        if Set(approvers).count != approvers.count { return "quorum.approvers lists an identity twice" }
        if approvers.contains(where: \.isEmpty) { return "quorum.approvers has an empty identity" }
        if required < 1 { return "quorum.required must be at least 1" }
        if required > approvers.count {
            return "quorum.required (\(required)) exceeds the \(approvers.count) approvers"
        }
        if !(approvalTTLSeconds > 0 && approvalTTLSeconds <= 7 * 86_400) {
            return "quorum.approval_ttl_seconds must be in (0, 604800]"
        }
        return nil
    }

    /// TTL in milliseconds.
    var ttlMillis: Int64 { Int64(approvalTTLSeconds * 1000) }
}
