// Wiring of the shared-state token at start-up: opened like a backend (module, token, PIN from a
// file or the environment), it carries the idempotency records the instances share. On SoftHSM2
// its token folder sits in the primary store's folder, so the DR copy is told to leave it out.

import Foundation
import KeyRegistry
import PersonaServices

extension PersonaHSMServer {
    /// The shared idempotency records, or nil when `shared_state` is not configured.
    static func openSharedState(config: ServerConfig) throws -> (records: SharedIdempotencyRecords, serial: String)? {
        guard let shared = config.sharedState else { return nil }
        let opened = try OpenedBackend(config: BackendConfig(
            name: "shared-state", cluster: "primary", module: shared.module, token: shared.token,
            pinFile: shared.pinFile, pinEnv: shared.pinEnv, sessions: 1), applyEnvironment: false)
        let log = SharedRecordLog(token: opened.token, pin: opened.pin)
        let records = SharedIdempotencyRecords(log: log, window: config.tuning.sharedIdempotencyWindowSeconds,
                                               flushInterval: .milliseconds(config.tuning.sharedIdempotencyFlushMillis),
                                               timeout: .milliseconds(config.tuning.sharedIdempotencyTimeoutMillis))
        return (records, opened.token.info.serialNumber)
    }

    /// Token folders the SoftHSM2 store copy must skip: the shared-state token's, when it lives in
    /// the copied store.
    static func replicationExclusions(config: ServerConfig, stateSerial: String?) -> Set<String> {
        guard let stateSerial, let from = config.replication?.from,
              let folder = SoftHSMStoreCopy.tokenFolder(serial: stateSerial, in: from) else { return [] }
        return [folder]
    }
}
