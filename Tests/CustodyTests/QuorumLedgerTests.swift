// The quorum ledger on a real SoftHSM2 token with a clock the test moves: counting rules (only
// listed approvers, each once, only the proposal's digest, only before expiry), execution at most
// once and only for the approved kind and digest, and a second ledger object on the same token
// (a second server instance) seeing the same state.

import Custody
import Foundation
import KeyRegistry
import PKCS11
import SoftCrypto
import Synchronization
import Testing
import TestSupport

@Suite("Quorum ledger on a token", .serialized)
struct QuorumLedgerTests {
    static let settings = QuorumSettings(required: 2, approvers: ["alice", "bob", "carol"], approvalTTLSeconds: 60)

    final class Clock: Sendable {
        let millis = Atomic<Int64>(1_000_000)
        func advance(seconds: Int64) { millis.add(seconds * 1000, ordering: .relaxed) }
    }

    static func ledger(_ clock: Clock) throws -> QuorumLedger {
        let token = try TestHSM.token("custody-ledger")
        let node = TokenNode(name: "n1", cluster: "primary", token: token, pin: try TestHSM.pin())
        return QuorumLedger(settings: settings, nodes: [node], now: { clock.millis.load(ordering: .relaxed) })
    }

    static func expectCustody(_ reason: String, _ body: () async throws -> Void,
                              sourceLocation: SourceLocation = #_sourceLocation) async {
        do {
            try await body()
            Issue.record("expected \(reason)", sourceLocation: sourceLocation)
        } catch let error as CustodyError {
            #expect(error.reason == reason, "\(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("expected CustodyError \(reason), got \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test("counting: listed approvers only, each once, only the proposal's digest")
    func counting() async throws {
        let clock = Clock()
        let ledger = try Self.ledger(clock)
        let digest = SHA256.hash(Array("request A".utf8))
        let proposal = try await ledger.propose(kind: .backup, requestSHA256: digest, proposer: "alice", justification: "")
        let id = proposal.proposal.id
        #expect(proposal.approvers.isEmpty && !proposal.approved)
        await Self.expectCustody("NOT_AN_APPROVER") { _ = try await ledger.approve(id: id, requestSHA256: digest, identity: "mallory") }
        await Self.expectCustody("DIGEST_MISMATCH") {
            _ = try await ledger.approve(id: id, requestSHA256: SHA256.hash(Array("request B".utf8)), identity: "bob")
        }
        _ = try await ledger.approve(id: id, requestSHA256: digest, identity: "alice")
        let again = try await ledger.approve(id: id, requestSHA256: digest, identity: "alice")
        #expect(again.approvers == ["alice"] && !again.approved)
        await Self.expectCustody("QUORUM_NOT_REACHED") {
            _ = try await ledger.consume(id: id, kind: .backup, requestSHA256: digest, executor: "alice")
        }
        // Another instance on the same token sees the same approvals.
        let other = try Self.ledger(clock)
        let seen = try await other.approve(id: id, requestSHA256: digest, identity: "bob")
        #expect(seen.approvers == ["alice", "bob"] && seen.approved)
        await Self.expectCustody("WRONG_OPERATION") {
            _ = try await ledger.consume(id: id, kind: .restore, requestSHA256: digest, executor: "carol")
        }
        await Self.expectCustody("DIGEST_MISMATCH") {
            _ = try await ledger.consume(id: id, kind: .backup, requestSHA256: SHA256.hash([1]), executor: "carol")
        }
        let executed = try await ledger.consume(id: id, kind: .backup, requestSHA256: digest, executor: "carol")
        #expect(executed.executed && executed.approvers == ["alice", "bob"])
        await Self.expectCustody("ALREADY_EXECUTED") {
            _ = try await other.consume(id: id, kind: .backup, requestSHA256: digest, executor: "carol")
        }
        await Self.expectCustody("ALREADY_EXECUTED") { _ = try await ledger.approve(id: id, requestSHA256: digest, identity: "carol") }
        #expect(try await ledger.pending().contains { $0.proposal.id == id } == false)
    }

    @Test("expiry: no approval after the TTL, no execution after it, gone from pending")
    func expiry() async throws {
        let clock = Clock()
        let ledger = try Self.ledger(clock)
        let digest = SHA256.hash(Array("destroy k1 v1".utf8))
        let id = try await ledger.propose(kind: .destroyKey, requestSHA256: digest, proposer: "alice",
                                          justification: "").proposal.id
        _ = try await ledger.approve(id: id, requestSHA256: digest, identity: "alice")
        _ = try await ledger.approve(id: id, requestSHA256: digest, identity: "carol")
        #expect(try await ledger.status(id: id).approved)
        #expect(try await ledger.approvedOperation(kind: .destroyKey, requestSHA256: digest) == id)
        clock.advance(seconds: 60)
        let status = try await ledger.status(id: id)
        #expect(status.expired && !status.approved && status.approvers.count == 2)
        await Self.expectCustody("EXPIRED") { _ = try await ledger.approve(id: id, requestSHA256: digest, identity: "bob") }
        await Self.expectCustody("EXPIRED") {
            _ = try await ledger.consume(id: id, kind: .destroyKey, requestSHA256: digest, executor: "bob")
        }
        #expect(try await ledger.pending().contains { $0.proposal.id == id } == false)
        #expect(try await ledger.approvedOperation(kind: .destroyKey, requestSHA256: digest) == nil)
        // A day after expiry, the next proposal prunes the operation's objects from the token.
        clock.advance(seconds: 86_401)
        _ = try await ledger.propose(kind: .backup, requestSHA256: digest, proposer: "bob", justification: "")
        await Self.expectCustody("OPERATION_NOT_FOUND") { _ = try await ledger.status(id: id) }
        let session = try TestHSM.token("custody-ledger").openSession()
        #expect(try session.dataLabels(application: QuorumLedger.application).contains { $0.hasPrefix("op:\(id)") } == false)
        await Self.expectCustody("BAD_OPERATION_ID") { _ = try await ledger.status(id: "op:evil") }
        await Self.expectCustody("OPERATION_NOT_FOUND") { _ = try await ledger.status(id: "op-0000") }
        await Self.expectCustody("QUORUM_REQUIRED") {
            _ = try await ledger.consume(id: "", kind: .destroyKey, requestSHA256: digest, executor: "bob")
        }
    }

    @Test("writes reach every node: a ledger over the second node alone sees proposal, approvals and execution")
    func mirroredToEveryNode() async throws {
        let clock = Clock()
        let first = TokenNode(name: "m1", cluster: "primary", token: try TestHSM.token("custody-ledger-m1"),
                              pin: try TestHSM.pin())
        let second = TokenNode(name: "m2", cluster: "primary", token: try TestHSM.token("custody-ledger-m2"),
                               pin: try TestHSM.pin())
        let now: @Sendable () -> Int64 = { clock.millis.load(ordering: .relaxed) }
        let both = QuorumLedger(settings: Self.settings, nodes: [first, second], now: now)
        let secondOnly = QuorumLedger(settings: Self.settings, nodes: [second], now: now)
        let digest = SHA256.hash(Array("mirrored".utf8))
        let id = try await both.propose(kind: .restore, requestSHA256: digest, proposer: "bob", justification: "").proposal.id
        _ = try await both.approve(id: id, requestSHA256: digest, identity: "alice")
        _ = try await both.approve(id: id, requestSHA256: digest, identity: "carol")
        let seen = try await secondOnly.status(id: id)
        #expect(seen.approved && seen.approvers == ["alice", "carol"] && seen.proposal.proposer == "bob")
        _ = try await both.consume(id: id, kind: .restore, requestSHA256: digest, executor: "bob")
        await Self.expectCustody("ALREADY_EXECUTED") {
            _ = try await secondOnly.consume(id: id, kind: .restore, requestSHA256: digest, executor: "bob")
        }
    }

    @Test("settings: inconsistent rules are described")
    func settings() {
        #expect(QuorumSettings(required: 3, approvers: ["a", "b"]).problem?.contains("exceeds") == true)
        #expect(QuorumSettings(required: 1, approvers: ["a", "a"]).problem?.contains("twice") == true)
        #expect(QuorumSettings(required: 2, approvers: ["a", "b"]).problem == nil)
    }
}
