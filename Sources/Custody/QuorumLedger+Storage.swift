// How the ledger reads and writes its objects: the first node that answers does the atomic part,
// the other nodes receive copies of what it wrote.

import Foundation
import KeyRegistry
import PKCS11
import SoftCrypto

extension QuorumLedger {
    static func label(_ id: String) -> String { "op:" + id }

    static func approvalLabel(_ id: String, _ identity: String) -> String {
        label(id) + ":approval:" + SHA256.hash(Array(identity.utf8)).hexString
    }

    static func isProposalLabel(_ label: String) -> Bool {
        label.hasPrefix("op:") && !label.dropFirst(3).contains(":")
    }

    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(value))
    }

    static func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8], what: String) throws -> T {
        do { return try JSONDecoder().decode(type, from: Data(bytes)) } catch {
            throw CustodyError(.internal, "unreadable \(what) in the quorum ledger", reason: "LEDGER_CORRUPT", cause: error)
        }
    }

    /// The proposal `id`, its approvals and whether it was executed.
    static func read(id: String, session: Session) throws -> (QuorumProposal, [QuorumApproval], Bool) {
        guard id.hasPrefix("op-"), id.count <= 64, !id.contains(":") else {
            throw CustodyError(.invalidArgument, "\"\(id)\" is not an operation id", reason: "BAD_OPERATION_ID")
        }
        guard let blob = try session.readData(application: application, label: label(id)) else {
            throw CustodyError(.notFound, "no quorum operation \(id)", reason: "OPERATION_NOT_FOUND")
        }
        let proposal = try decode(QuorumProposal.self, blob, what: "proposal")
        var approvals: [QuorumApproval] = []
        let prefix = label(id) + ":approval:"
        for entry in try session.dataLabels(application: application) where entry.hasPrefix(prefix) {
            if let bytes = try session.readData(application: application, label: entry) {
                approvals.append(try decode(QuorumApproval.self, bytes, what: "approval"))
            }
        }
        let executed = try session.readData(application: application, label: label(id) + ":executed") != nil
        return (proposal, approvals, executed)
    }

    /// Runs `body` on the first node that answers.
    func readNode<T: Sendable>(_ body: @escaping @Sendable (Session) throws -> T) async throws -> T {
        var lastError: (any Error)?
        for node in nodes {
            do { return try await node.withSession(body) } catch let error as CustodyError {
                throw error
            } catch {
                lastError = error
            }
        }
        throw CustodyError(.unavailable, "no HSM node holding the quorum ledger answered", reason: "HSM_UNAVAILABLE",
                           cause: lastError)
    }

    func write(_ body: @escaping @Sendable (Session) throws -> [(String, [UInt8])]) async throws {
        _ = try await writeReturning { session in ((), try body(session)) }
    }

    /// Runs `body` atomically on the first node that answers, then copies the objects it wrote to
    /// the other nodes (best effort: a node that is down catches up when the partition is cloned).
    /// `body` returns what it wrote as (label, value); an empty value means it deleted the label.
    func writeReturning<T: Sendable>(_ body: @escaping @Sendable (Session) throws -> (T, [(String, [UInt8])]))
        async throws -> T
    {
        var lastError: (any Error)?
        for (index, node) in nodes.enumerated() {
            let outcome: (T, [Entry])
            do {
                outcome = try await node.withSession { session in
                    let (value, written) = try body(session)
                    return (value, written.map { Entry(label: $0.0, value: $0.1) })
                }
            } catch let error as CustodyError {
                throw error
            } catch {
                lastError = error
                continue
            }
            let entries = outcome.1
            for other in nodes[(index + 1)...] {
                _ = try? await other.withSession { session in
                    for entry in entries {
                        if entry.value.isEmpty {
                            try session.deleteData(application: Self.application, label: entry.label)
                        } else {
                            _ = try session.storeData(entry.value, application: Self.application, label: entry.label)
                        }
                    }
                }
            }
            return outcome.0
        }
        throw CustodyError(.unavailable, "no HSM node holding the quorum ledger answered", reason: "HSM_UNAVAILABLE",
                           cause: lastError)
    }
}

extension QuorumLedger {
    /// How long an expired operation's objects stay on the token (the audit log keeps the history).
    static let retentionMillis: Int64 = 86_400_000

    /// Deletes the objects of operations that expired more than a day before `nowMillis`.
    /// - Returns: the deleted labels (mirrored to the other nodes as deletions), and how many
    ///   operations are open (neither expired nor executed).
    static func prune(session: Session, nowMillis: Int64) throws -> (deleted: [(String, [UInt8])], open: Int) {
        let labels = try session.dataLabels(application: application)
        let executed = Set(labels.filter { $0.hasSuffix(":executed") })
        var deleted: [(String, [UInt8])] = []
        var open = 0
        for label in labels where isProposalLabel(label) {
            guard let blob = try session.readData(application: application, label: label),
                  let proposal = try? JSONDecoder().decode(QuorumProposal.self, from: Data(blob)) else { continue }
            if nowMillis < proposal.expiresMillis, !executed.contains(label + ":executed") { open += 1 }
            guard proposal.expiresMillis + retentionMillis < nowMillis else { continue }
            for entry in labels where entry == label || entry.hasPrefix(label + ":") {
                try session.deleteData(application: application, label: entry)
                deleted.append((entry, []))
            }
        }
        return (deleted, open)
    }
}

/// A labelled blob crossing the node queue (an empty value: the label was deleted).
struct Entry: Sendable {
    var label: String
    var value: [UInt8]
}
