// One place that decides which status code a caller sees for an error from any lower layer
// (registry, scheduler, software crypto, audit). Lower layers stay free of RPC types.

import AuditLog
import Credentials
import HSMScheduler
import KeyRegistry
import PersonaProtos
import RPCCore
import SoftCrypto

extension RPCError {
    /// The status a caller sees for `error`.
    public init(mapping error: any Error) {
        switch error {
        case let error as RPCError:
            self = error
        case let error as KeyRegistryError:
            let code: RPCCore.StatusCode = switch error.kind {
            case .notFound: .notFound
            case .alreadyExists: .alreadyExists
            case .invalidArgument: .invalidArgument
            case .failedPrecondition: .failedPrecondition
            case .unavailable: .unavailable
            case .internal: .internal
            }
            self = RPCError(code, error.message, details: error.reason.isEmpty ? nil : ErrorDetails(reason: error.reason))
        case let error as HSMError:
            self = Self.map(error)
        case let error as AuditError:
            self = RPCError(.unavailable, "audit log unavailable: \(error)",
                            details: ErrorDetails(retryAfterMillis: 1000, reason: "AUDIT_UNAVAILABLE"))
        case let error as CryptoError:
            self = RPCError(.invalidArgument, "\(error)")
        case let error as any RPCStatusConvertible:
            self = error.rpcError
        default:
            self = RPCError(.internal, "internal error: \(error)")
        }
    }

    private static func map(_ error: HSMError) -> RPCError {
        switch error.kind {
        case .notFound: return RPCError(.notFound, error.message, details: ErrorDetails(reason: "KEY_MATERIAL_NOT_FOUND"))
        case .deadlineExceeded: return RPCError(.deadlineExceeded, error.message)
        case .queueFull(let retry):
            return RPCError(.resourceExhausted, error.message,
                            details: ErrorDetails(retryAfterMillis: millis(retry), reason: "QUEUE_FULL"))
        case .unavailable(let retry):
            return RPCError(.unavailable, error.message,
                            details: ErrorDetails(retryAfterMillis: max(millis(retry), 1), reason: "HSM_UNAVAILABLE"))
        case .invalidArgument: return RPCError(.invalidArgument, error.message)
        case .failedPrecondition: return RPCError(.failedPrecondition, error.message)
        case .cancelled: return RPCError(.cancelled, error.message)
        case .internal: return RPCError(.internal, error.message)
        }
    }

    static func millis(_ duration: Duration) -> UInt32 {
        let (seconds, attoseconds) = duration.components
        return UInt32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }

    /// The wire form of this error, for per-item results of batches and streams.
    public var callStatus: CallStatus {
        CallStatus(code: PersonaProtos.StatusCode(rawValue: Int32(code.rawValue)), message: message,
                   details: details.map { PersonaProtos.ErrorDetails(retryAfterMillis: $0.retryAfterMillis,
                                                                      reason: $0.reason, subject: $0.subject,
                                                                      info: $0.info) })
    }
}

// Lower layers do not know RPC status codes; these conformances let the transport map their
// errors wherever a handler lets one escape.
extension KeyRegistryError: RPCStatusConvertible {
    public var rpcError: RPCError { RPCError(mapping: self) }
}

extension HSMError: RPCStatusConvertible {
    public var rpcError: RPCError { RPCError(mapping: self) }
}

extension AuditError: RPCStatusConvertible {
    public var rpcError: RPCError { RPCError(mapping: self) }
}

extension CryptoError: RPCStatusConvertible {
    public var rpcError: RPCError { RPCError(mapping: self) }
}
