// Where the services ask "has a quorum approved exactly this request?". The composition root
// installs the quorum ledger and the key custodian here once the HSM is open; AdminService uses
// them for backup, restore and escrow recovery, and KeyService calls `requireQuorum` before it
// schedules a key's destruction (the operation id travels in call metadata there, because
// ScheduleDestructionRequest has no field for it).

import Custody
import Foundation
import PersonaProtos
import RPCCore
import SoftCrypto
import Synchronization

/// The installed custody parts, or nothing when the config has no `custody.quorum`.
public final class QuorumGate: Sendable {
    /// Call-metadata key that carries the approved operation id of a ScheduleDestruction call.
    public static let operationMetadataKey = "x-quorum-operation"

    private struct Installed: Sendable {
        var ledger: QuorumLedger?
        var custodian: KeyCustodian?
    }

    private let installed = Mutex(Installed())
    /// SHA-256 of the policy file in force (so a SIGHUP with an unchanged file needs no approval).
    private let policyDigest = Mutex<[UInt8]>([])

    public init() {}

    /// Installs the ledger (nil: no quorum configured) and the custodian (nil: no backup vault).
    public func install(ledger: QuorumLedger?, custodian: KeyCustodian?) {
        installed.withLock { $0 = Installed(ledger: ledger, custodian: custodian) }
    }

    public var ledger: QuorumLedger? { installed.withLock { $0.ledger } }

    /// SHA-256 of the access policy file in force.
    public var installedPolicyDigest: [UInt8] {
        get { policyDigest.withLock { $0 } }
        set { policyDigest.withLock { $0 = newValue } }
    }
    public var custodian: KeyCustodian? { installed.withLock { $0.custodian } }

    func requireLedger() throws -> QuorumLedger {
        guard let ledger else {
            throw RPCError(.failedPrecondition, "this server has no quorum configured (custody.quorum in the config); "
                           + "quorum operations are refused", details: ErrorDetails(reason: "QUORUM_NOT_CONFIGURED"))
        }
        return ledger
    }

    func requireCustodian() throws -> KeyCustodian {
        guard let custodian else {
            throw RPCError(.failedPrecondition, "this server has no backup vault configured (custody.vault in the config)",
                           details: ErrorDetails(reason: "VAULT_NOT_CONFIGURED"))
        }
        return custodian
    }
}

extension ServiceEnvironment {
    /// Consumes the approved quorum operation of `kind` whose digest is SHA-256(`digestInput`), and
    /// audits the execution durably.
    /// - Parameter operationID: the id from the request or call metadata.
    /// - Returns: the operation's status at execution.
    @discardableResult
    func consumeQuorum(_ kind: QuorumOperationKind, operationID: String, digestInput: [UInt8], keyName: String = "",
                       context: ServerContext) async throws -> QuorumStatus {
        let ledger = try quorum.requireLedger()
        let digest = SHA256.hash(digestInput)
        let status = try await mappedCustody {
            try await ledger.consume(id: operationID, kind: kind, requestSHA256: digest, executor: context.peer.name)
        }
        try await audit.recordDurably(context, keyName: keyName, version: 0, requestDigest: digest, outcome: .ok,
                                      message: "quorum operation executed",
                                      extra: ["quorum_event": "execute", "quorum_operation": operationID,
                                              "quorum_kind": kind.rawValue,
                                              "quorum_approvers": status.approvers.joined(separator: ","),
                                              "quorum_proposer": status.proposal.proposer])
        return status
    }

    /// The destruction hook for KeyService: with a quorum configured, `request` must be the exact
    /// request of an approved DESTROY_KEY operation named in the `x-quorum-operation` metadata.
    /// Without one, only a dev-mode server lets destruction through (the waiting period still applies).
    public func requireQuorum(forDestruction request: ScheduleDestructionRequest, context: ServerContext) async throws {
        guard quorum.ledger != nil || !limits.devMode else { return }
        let id = context.metadata[QuorumGate.operationMetadataKey] ?? ""
        if id.isEmpty, quorum.ledger != nil {
            throw RPCError(.failedPrecondition, "ScheduleDestruction needs an approved DESTROY_KEY operation for this exact "
                           + "request, named in call metadata \(QuorumGate.operationMetadataKey) (CLI: personahsm admin "
                           + "propose destroy-key, admin approve, then admin destroy --operation OP-ID)",
                           details: ErrorDetails(reason: "QUORUM_REQUIRED"))
        }
        try await consumeQuorum(.destroyKey, operationID: id,
                                digestInput: request.serializedBytes(), keyName: request.name, context: context)
    }
}

/// Runs `body`, turning custody errors into RPC errors.
func mappedCustody<T>(_ body: () async throws -> T) async throws -> T {
    do { return try await body() } catch let error as CustodyError {
        throw RPCError(custody: error)
    } catch {
        throw RPCError(mapping: error)
    }
}

extension RPCError {
    init(custody error: CustodyError) {
        let code: RPCCore.StatusCode = switch error.kind {
        case .notFound: .notFound
        case .invalidArgument: .invalidArgument
        case .failedPrecondition: .failedPrecondition
        case .permissionDenied: .permissionDenied
        case .resourceExhausted: .resourceExhausted
        case .dataLoss: .dataLoss
        case .unavailable: .unavailable
        case .internal: .internal
        }
        self.init(code, error.description, details: ErrorDetails(reason: error.reason))
    }
}

extension CustodyError: RPCStatusConvertible {
    public var rpcError: RPCError { RPCError(custody: self) }
}
