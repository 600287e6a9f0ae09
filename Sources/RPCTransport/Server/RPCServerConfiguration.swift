// Every limit of the server in one value, loaded once and passed down (docs/PROTOCOL.md §7 lists
// the defaults and why).

import Foundation

/// Listening address, threads and limits of an ``RPCServer``.
public struct RPCServerConfiguration: Sendable {
    /// Address to bind; `127.0.0.1` by default.
    public var host: String
    /// Port to bind; 0 picks a free one (read ``RPCServer/port`` after ``RPCServer/start()``).
    public var port: Int
    /// Event-loop threads; defaults to the number of cores.
    public var eventLoopThreads: Int
    /// Largest frame payload accepted (and announced in SETTINGS).
    public var maxFrameSize: Int
    /// Streams one connection may have open at once; more are refused with RESOURCE_EXHAUSTED.
    public var maxConcurrentStreamsPerConnection: Int
    /// Connections beyond this are accepted and closed at once.
    public var maxConnections: Int
    /// A connection must finish TLS within this time.
    public var handshakeTimeout: Duration
    /// A connection with no open stream and no traffic for this long is sent GOAWAY and closed.
    public var idleTimeout: Duration
    /// Bytes queued for one connection (responses not yet taken by the socket, plus requests not
    /// yet read by handlers) above which the server stops reading from it and writers wait.
    public var maxBufferedBytesPerConnection: Int
    /// Ping a connection after this much silence; 0 disables keepalive.
    public var keepaliveInterval: Duration
    /// Close a connection whose ping is unanswered for this long.
    public var keepaliveTimeout: Duration
    /// Start unary handlers as immediate tasks on the event-loop thread (a handler that finishes
    /// without suspending answers with no thread hop). `false` starts every call as a plain Task
    /// on the global executor; kept for measurement and for services whose handlers may block.
    public var runsUnaryHandlersImmediately: Bool
    /// CPUs the event-loop threads are pinned to (loop `i` on `eventLoopCPUs[i % count]`); empty
    /// (the default) leaves placement to the kernel. For hosts that dedicate cores to the server.
    public var eventLoopCPUs: [Int] = []

    public init(host: String = "127.0.0.1", port: Int = 0, eventLoopThreads: Int = 0,
                maxFrameSize: Int = 4 * 1024 * 1024 + 1024, maxConcurrentStreamsPerConnection: Int = 256,
                maxConnections: Int = 10_000, handshakeTimeout: Duration = .seconds(10),
                idleTimeout: Duration = .seconds(300), maxBufferedBytesPerConnection: Int = 16 * 1024 * 1024,
                keepaliveInterval: Duration = .seconds(30), keepaliveTimeout: Duration = .seconds(10),
                runsUnaryHandlersImmediately: Bool = true) {
        self.host = host
        self.port = port
        self.eventLoopThreads = eventLoopThreads
        self.maxFrameSize = maxFrameSize
        self.maxConcurrentStreamsPerConnection = maxConcurrentStreamsPerConnection
        self.maxConnections = maxConnections
        self.handshakeTimeout = handshakeTimeout
        self.idleTimeout = idleTimeout
        self.maxBufferedBytesPerConnection = maxBufferedBytesPerConnection
        self.keepaliveInterval = keepaliveInterval
        self.keepaliveTimeout = keepaliveTimeout
        self.runsUnaryHandlersImmediately = runsUnaryHandlersImmediately
    }

    var resolvedThreads: Int {
        eventLoopThreads > 0 ? eventLoopThreads : max(1, min(8, System.coreCount))
    }
}

enum System {
    static var coreCount: Int { ProcessInfo.processInfo.activeProcessorCount }
}
