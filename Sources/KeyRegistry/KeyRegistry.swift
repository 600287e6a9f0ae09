// The key registry: names, versions, states and rotation of every key, with the metadata kept on
// the HSM and cached in memory. Reads (the signing hot path) come from the cache without waiting;
// changes are serialised through one actor, written to the HSM first and cached after, so the
// cache never claims what the HSM does not hold.

import Credentials
import Foundation
import PKCS11
import SoftCrypto
import Synchronization

/// Settings of the registry.
public struct KeyRegistryOptions: Sendable {
    /// Rotation period for keys that do not set one (90 days).
    public var defaultRotationSeconds: UInt64 = 90 * 86_400
    /// Waiting period before a scheduled destruction (30 days).
    public var defaultDestructionWaitMillis: Int64 = 30 * 86_400_000
    /// Shortest waiting period a caller may ask for (1 day; dev mode may lower it).
    public var minimumDestructionWaitMillis: Int64 = 86_400_000
    public init() {}
}

/// Names, versions and life cycle of every key.
public final class KeyRegistry: Sendable {
    let store: any KeyMaterialStore
    let options: KeyRegistryOptions
    /// Milliseconds since the epoch; injectable so rotation can be tested on a simulated clock.
    let now: @Sendable () -> Int64
    let cache = Mutex<[String: KeyRecord]>([:])
    let publicKeys = Mutex<[String: SoftCrypto.PublicKey]>([:])
    let writer = RegistryWriter()

    init(store: any KeyMaterialStore, options: KeyRegistryOptions, now: @escaping @Sendable () -> Int64) {
        self.store = store
        self.options = options
        self.now = now
    }

    /// Loads every key's metadata from the store.
    public static func open(store: any KeyMaterialStore, options: KeyRegistryOptions,
                            now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) })
        async throws -> KeyRegistry
    {
        let registry = KeyRegistry(store: store, options: options, now: now)
        try await registry.reload()
        return registry
    }

    /// Re-reads metadata from the store (after a restore, or another instance's change).
    public func reload() async throws {
        let blobs = try await store.loadMetadata()
        var records: [String: KeyRecord] = [:]
        let decoder = JSONDecoder()
        for (name, blob) in blobs {
            guard let record = try? decoder.decode(KeyRecord.self, from: Data(blob)), record.name == name else {
                throw KeyRegistryError(.internal, "metadata of key \(name) on the HSM is unreadable")
            }
            records[name] = record
        }
        cache.withLock { $0 = records }
        publicKeys.withLock { $0.removeAll() }
    }

    /// Re-reads metadata between changes, so keys another server instance created, rotated or
    /// disabled show up here (the maintenance loop calls this; a local change is never lost to it).
    public func refresh() async throws {
        try await writer.serialize { try await self.reload() }
    }

    // MARK: Reads (from the cache)

    /// The record of `name`.
    public func key(_ name: String) throws -> KeyRecord {
        guard let record = cache.withLock({ $0[name] }) else { throw KeyRegistryError.notFound(name) }
        return record
    }

    /// Keys whose names start with `prefix`, sorted by name.
    public func list(prefix: String = "") -> [KeyRecord] {
        cache.withLock { $0.values.filter { $0.name.hasPrefix(prefix) } }.sorted { $0.name < $1.name }
    }

    /// The verification key of one version (parsed once, then cached).
    public func publicKey(name: String, version: KeyVersionRecord) throws -> SoftCrypto.PublicKey {
        let cacheKey = "\(name)#\(version.version)"
        if let cached = publicKeys.withLock({ $0[cacheKey] }) { return cached }
        guard let spki = version.publicKeySPKI else {
            throw KeyRegistryError(.failedPrecondition, "key \(name) version \(version.version) has no public key",
                                   reason: "NO_PUBLIC_KEY")
        }
        let parsed: SoftCrypto.PublicKey
        do { parsed = try SoftCrypto.PublicKey(spkiDER: spki) } catch {
            throw KeyRegistryError(.internal, "stored public key of \(name) v\(version.version) is invalid: \(error)")
        }
        publicKeys.withLock { $0[cacheKey] = parsed }
        return parsed
    }

    // MARK: Changes (serialised, HSM first)

    /// Creates a key and its first version inside the HSM.
    public func create(name: String, purpose: KeyRecord.Purpose, algorithm: KeyAlgorithm, rotationSeconds: UInt64? = nil,
                       labels: [String: String] = [:], allowBackup: Bool = false) async throws -> KeyRecord {
        try KeyRecord.validateName(name)
        guard purpose.allows(algorithm) else {
            throw KeyRegistryError(.invalidArgument, "purpose \(purpose.rawValue) does not fit algorithm \(algorithm.rawValue)",
                                   reason: "PURPOSE_ALGORITHM_MISMATCH")
        }
        return try await writer.serialize {
            guard self.cache.withLock({ $0[name] }) == nil else {
                throw KeyRegistryError(.alreadyExists, "key \(name) already exists", reason: "KEY_EXISTS")
            }
            var record = KeyRecord(name: name, purpose: purpose, algorithm: algorithm,
                                   rotationPeriodSeconds: rotationSeconds ?? options.defaultRotationSeconds,
                                   labels: labels, createdMillis: now(), allowBackup: allowBackup)
            record.addPrimaryVersion(try await makeVersion(of: record, number: 1), nowMillis: now())
            try await persist(record)
            return record
        }
    }

    /// Creates a new version and makes it primary.
    public func rotate(_ name: String) async throws -> KeyRecord {
        try await mutate(name) { record in
            let version = try await self.makeVersion(of: record, number: record.nextVersionNumber)
            record.addPrimaryVersion(version, nowMillis: self.now())
        }
    }

    public func enable(_ name: String, version: UInt32) async throws -> KeyRecord {
        try await mutate(name) { try $0.enable(version) }
    }

    public func disable(_ name: String, version: UInt32) async throws -> KeyRecord {
        try await mutate(name) { try $0.disable(version) }
    }

    /// Schedules destruction after `waitMillis` (nil: the default 30 days).
    public func scheduleDestruction(_ name: String, version: UInt32, waitMillis: Int64? = nil) async throws -> KeyRecord {
        let wait = waitMillis ?? options.defaultDestructionWaitMillis
        guard wait >= options.minimumDestructionWaitMillis else {
            throw KeyRegistryError(.invalidArgument,
                                   "destruction wait must be at least \(options.minimumDestructionWaitMillis / 1000) s",
                                   reason: "WAIT_TOO_SHORT")
        }
        return try await mutate(name) { try $0.scheduleDestruction(version, nowMillis: self.now(), waitMillis: wait) }
    }

    public func cancelDestruction(_ name: String, version: UInt32) async throws -> KeyRecord {
        try await mutate(name) { try $0.cancelDestruction(version) }
    }

    /// Rotates keys that are due and destroys versions whose wait is over. The server calls this
    /// periodically; tests call it after moving the simulated clock.
    /// - Returns: what was done, for logs and audit.
    @discardableResult
    public func runMaintenance() async -> [MaintenanceEvent] {
        var events: [MaintenanceEvent] = []
        let time = now()
        for record in list() {
            if record.isRotationDue(nowMillis: time), record.primary?.state == .enabled {
                do {
                    let rotated = try await rotate(record.name)
                    events.append(.rotated(name: record.name, version: rotated.primaryVersion))
                } catch {
                    events.append(.failed(name: record.name, reason: "\(error)"))
                }
            }
            for version in record.versionsDueForDestruction(nowMillis: time) {
                do {
                    try await destroyMaterial(record.name, version: version)
                    events.append(.destroyed(name: record.name, version: version.version))
                } catch {
                    events.append(.failed(name: record.name, reason: "\(error)"))
                }
            }
        }
        return events
    }

    private func destroyMaterial(_ name: String, version: KeyVersionRecord) async throws {
        _ = try await mutate(name) { record in
            guard record.version(version.version)?.state == .destructionScheduled else { return }
            try await self.store.destroy(id: try Self.id(fromHex: version.hsmID))
            record.markDestroyed(version.version)
        }
        publicKeys.withLock { $0["\(name)#\(version.version)"] = nil }
    }

    private func mutate(_ name: String, _ change: @Sendable @escaping (inout KeyRecord) async throws -> Void)
        async throws -> KeyRecord
    {
        try await writer.serialize {
            var record = try self.key(name)
            try await change(&record)
            try await self.persist(record)
            return record
        }
    }

    func persist(_ record: KeyRecord) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try await store.storeMetadata(name: record.name, value: Array(try encoder.encode(record)))
        cache.withLock { $0[record.name] = record }
    }

    private func makeVersion(of record: KeyRecord, number: UInt32) async throws -> KeyVersionRecord {
        let id = try SecureRandom.bytes(16)
        let material = try await store.generate(record.algorithm.keySpec, id: id, label: "\(record.name)/v\(number)",
                                                allowBackup: record.allowBackup,
                                                secretUsage: record.purpose == .derive ? .derive : .encryptDecrypt)
        return KeyVersionRecord(version: number, state: .enabled, createdMillis: now(), hsmID: id.hexString,
                                publicKeySPKI: material.publicKeySPKI,
                                didKey: material.ed25519Raw.flatMap { try? DIDKey(ed25519Raw: $0).did }, backends: material.backends)
    }

    /// CKA_ID bytes from the hex the record stores.
    public static func id(fromHex hex: String) throws -> [UInt8] {
        guard let bytes = [UInt8](hexString: hex) else {
            throw KeyRegistryError(.internal, "corrupt HSM id \(hex)")
        }
        return bytes
    }
}

/// What maintenance did.
public enum MaintenanceEvent: Sendable, Equatable {
    case rotated(name: String, version: UInt32)
    case destroyed(name: String, version: UInt32)
    case failed(name: String, reason: String)
}

/// Runs registry changes one at a time.
actor RegistryWriter {
    func serialize<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        try await body()
    }
}
