// What every server connection shares: the method table, interceptors, limits, the current TLS
// context and counters. Immutable except for atomics, so connections on any loop read it freely.

import RPCCore
import Synchronization

/// Shared, thread-safe state of one server.
final class ServerCore: Sendable {
    let configuration: RPCServerConfiguration
    let methods: [UInt32: ServerMethod]
    let interceptors: [any ServerInterceptor]
    let tls: ReloadableTLSContext
    let connectionCount = Atomic<Int>(0)
    let acceptedConnections = Atomic<Int>(0)
    let refusedConnections = Atomic<Int>(0)
    let activeCalls = Atomic<Int>(0)
    /// Precomputed SETTINGS payload.
    let settingsPayload: [UInt8]

    init(configuration: RPCServerConfiguration, methods: [ServerMethod], interceptors: [any ServerInterceptor],
         tls: ReloadableTLSContext) {
        self.configuration = configuration
        var table: [UInt32: ServerMethod] = [:]
        for method in methods { table[method.descriptor.id] = method }
        self.methods = table
        self.interceptors = interceptors
        self.tls = tls
        var settings: [UInt8] = []
        let keepaliveMillis = configuration.keepaliveInterval.components.seconds * 1000
            + configuration.keepaliveInterval.components.attoseconds / 1_000_000_000_000_000
        ConnectionSettings(maxFrameSize: UInt32(clamping: configuration.maxFrameSize),
                           maxConcurrentStreams: UInt32(clamping: configuration.maxConcurrentStreamsPerConnection),
                           keepaliveIntervalMillis: UInt32(clamping: keepaliveMillis))
            .encode(into: &settings)
        settingsPayload = settings
    }
}
