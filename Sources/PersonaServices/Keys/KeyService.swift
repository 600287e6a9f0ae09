// The KeyService handlers: create, read, list, export public keys, rotate, enable/disable and
// destruction scheduling. Reads come from the registry's cache (and so keep working in degraded
// mode); changes need the HSM and fail fast with UNAVAILABLE without it.

import Foundation
import KeyRegistry
import PersonaProtos
import RPCCore
import SoftCrypto

/// Implements `persona.hsm.v1.KeyService`.
public struct KeyService: KeyServiceHandler {
    let environment: ServiceEnvironment
    var registry: KeyRegistry { environment.registry }

    public init(environment: ServiceEnvironment) {
        self.environment = environment
    }

    public func createKey(_ request: CreateKeyRequest, context: ServerContext) async throws -> Key {
        try environment.authorizer.authorizeKey(context, keyName: request.name)
        guard request.name != Self.importKeyName else {
            throw RPCError(.invalidArgument, "\(Self.importKeyName) is reserved for the server's import key",
                           details: ErrorDetails(reason: "RESERVED_KEY_NAME", subject: "name"))
        }
        let algorithm = try KeyAlgorithm(wire: request.algorithm)
        let purpose: KeyRecord.Purpose = request.purpose == .unspecified
            ? (algorithm.isSigning ? .signVerify : .encryptDecrypt) : try KeyRecord.Purpose(wire: request.purpose)
        try Self.requireSaneSeconds(request.rotationPeriodSeconds, field: "rotation_period_seconds")
        try environment.health.requireHSM()
        let rotation: UInt64? = request.disableRotation ? 0
            : request.rotationPeriodSeconds == 0 ? nil : request.rotationPeriodSeconds
        return try await mapped {
            try await registry.create(name: request.name, purpose: purpose, algorithm: algorithm,
                                      rotationSeconds: rotation, labels: request.labels,
                                      allowBackup: request.allowBackup).wire
        }
    }

    public func getKey(_ request: GetKeyRequest, context: ServerContext) async throws -> Key {
        try environment.authorizer.authorizeKey(context, keyName: request.name)
        return try mapped { try registry.key(request.name).wire }
    }

    public func listKeys(_ request: ListKeysRequest, context: ServerContext) async throws -> ListKeysResponse {
        let size = request.pageSize == 0 ? 100 : Int(min(request.pageSize, 1000))
        let visible = registry.list(prefix: request.namePrefix).filter { record in
            (try? environment.authorizer.authorizeKey(context, keyName: record.name, audited: false)) != nil
        }
        let page = visible.filter { request.pageToken.isEmpty || $0.name > request.pageToken }.prefix(size)
        let more = visible.count > 0 && page.last.map { last in visible.contains { $0.name > last.name } } ?? false
        return ListKeysResponse(keys: page.map(\.wire), nextPageToken: more ? page.last!.name : "")
    }

    public func getPublicKey(_ request: GetPublicKeyRequest, context: ServerContext) async throws -> PersonaProtos.PublicKey {
        try environment.authorizer.authorizeKey(context, keyName: request.name)
        if request.name == Self.importKeyName { return try await importPublicKey(request) }
        return try mapped {
            let record = try registry.key(request.name)
            guard record.algorithm.isSigning else {
                throw RPCError(.failedPrecondition, "key \(request.name) is symmetric and has no public key",
                               details: ErrorDetails(reason: "NO_PUBLIC_KEY"))
            }
            let number = request.version == 0 ? record.primaryVersion : request.version
            guard let version = record.version(number) else {
                throw RPCError(.notFound, "key \(request.name) has no version \(number)")
            }
            guard version.state != .destroyed else {
                throw RPCError(.failedPrecondition, "key \(request.name) version \(number) is destroyed",
                               details: ErrorDetails(reason: "KEY_DESTROYED"))
            }
            let key = try registry.publicKey(name: record.name, version: version)
            let format = request.format == .unspecified ? .spkiDer : request.format
            return PersonaProtos.PublicKey(name: record.name, version: number, algorithm: record.algorithm.wire,
                                           format: format, data: try encode(key, format), didKey: version.didKey ?? "")
        }
    }

    public func rotateKey(_ request: RotateKeyRequest, context: ServerContext) async throws -> Key {
        try environment.authorizer.authorizeKey(context, keyName: request.name)
        try environment.health.requireHSM()
        return try await mapped { try await registry.rotate(request.name).wire }
    }

    public func enableKeyVersion(_ request: KeyVersionRef, context: ServerContext) async throws -> Key {
        try environment.authorizer.authorizeKey(context, keyName: request.name)
        try environment.health.requireHSM()
        return try await mapped { try await registry.enable(request.name, version: request.version).wire }
    }

    public func disableKeyVersion(_ request: KeyVersionRef, context: ServerContext) async throws -> Key {
        try environment.authorizer.authorizeKey(context, keyName: request.name)
        try environment.health.requireHSM()
        return try await mapped { try await registry.disable(request.name, version: request.version).wire }
    }

    public func scheduleDestruction(_ request: ScheduleDestructionRequest, context: ServerContext) async throws -> Key {
        try environment.authorizer.authorizeKey(context, keyName: request.name)
        try Self.requireSaneSeconds(request.waitSeconds, field: "wait_seconds")
        try environment.health.requireHSM()
        let wait = request.waitSeconds == 0 ? nil : Int64(request.waitSeconds) * 1000
        return try await mapped {
            try await registry.scheduleDestruction(request.name, version: request.version, waitMillis: wait).wire
        }
    }

    /// Longest rotation period or destruction wait a client may ask for (100 years). Larger values
    /// would overflow the registry's millisecond arithmetic, which traps and kills the server.
    static let maximumPeriodSeconds: UInt64 = 100 * 366 * 86_400

    static func requireSaneSeconds(_ seconds: UInt64, field: String) throws {
        guard seconds <= maximumPeriodSeconds else {
            throw RPCError(.invalidArgument, "\(field) is \(seconds); the limit is \(maximumPeriodSeconds) (100 years)",
                           details: ErrorDetails(reason: "PERIOD_TOO_LONG", subject: field))
        }
    }

    public func cancelDestruction(_ request: KeyVersionRef, context: ServerContext) async throws -> Key {
        try environment.authorizer.authorizeKey(context, keyName: request.name)
        try environment.health.requireHSM()
        return try await mapped { try await registry.cancelDestruction(request.name, version: request.version).wire }
    }


    func encode(_ key: SoftCrypto.PublicKey, _ format: PublicKeyFormat) throws -> [UInt8] {
        switch format {
        case .spkiDer: return key.spkiDER
        case .spkiPem: return Array(key.pemRepresentation.utf8)
        case .jwk: return Array(key.jwk.utf8)
        case .raw:
            if let raw = key.rawRepresentation { return raw }
            if let (x, y) = key.p256Coordinates { return [0x04] + x + y }
            throw RPCError(.invalidArgument, "RAW is defined for Ed25519 and P-256 keys only")
        default: throw RPCError(.invalidArgument, "unknown public key format \(format.rawValue)")
        }
    }
}

/// Runs `body`, turning lower-layer errors into RPC errors.
func mapped<T>(_ body: () async throws -> T) async throws -> T {
    do { return try await body() } catch { throw RPCError(mapping: error) }
}

func mapped<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch { throw RPCError(mapping: error) }
}
