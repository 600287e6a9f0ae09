// Everything a client channel needs: where the servers are, how to authenticate, how many
// connections to keep, and how to time out, reconnect and retry.

/// One server address.
public struct RPCEndpoint: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    /// The name the server's certificate must carry; defaults to `host`.
    public var serverName: String?

    public init(host: String, port: Int, serverName: String? = nil) {
        self.host = host
        self.port = port
        self.serverName = serverName
    }

    public var description: String { "\(host):\(port)" }
}

/// Exponential backoff with jitter between reconnects and retries.
public struct Backoff: Sendable, Hashable {
    public var initial: Duration
    public var maximum: Duration
    public var multiplier: Double
    /// Fraction of the delay randomized away (0.2: delay × [0.8, 1.0]).
    public var jitter: Double

    public init(initial: Duration = .milliseconds(50), maximum: Duration = .seconds(5), multiplier: Double = 2,
                jitter: Double = 0.2) {
        self.initial = initial
        self.maximum = maximum
        self.multiplier = multiplier
        self.jitter = jitter
    }

    /// The delay before attempt `failures + 1` after `failures` consecutive failures (≥ 1).
    public func delay(afterFailures failures: Int) -> Duration {
        let exponent = Double(max(0, failures - 1))
        let raw = initial * pow2(multiplier, exponent)
        let capped = min(raw, maximum)
        let factor = 1 - jitter * Double.random(in: 0...1)
        return capped * factor
    }

    private func pow2(_ base: Double, _ exponent: Double) -> Double {
        var result = 1.0
        for _ in 0..<Int(min(exponent, 60)) { result *= base }
        return result
    }
}

/// Settings of an ``RPCChannel``.
public struct RPCChannelConfiguration: Sendable {
    /// Servers in order of preference: calls go to the first healthy one.
    public var endpoints: [RPCEndpoint]
    public var tls: TLSConfiguration
    /// Connections kept to the endpoint in use; calls are spread over them.
    public var connectionsPerEndpoint: Int
    public var eventLoopThreads: Int
    /// CPUs the client's event-loop threads are pinned to (loop `i` on `eventLoopCPUs[i % count]`);
    /// empty (the default) leaves placement to the kernel.
    public var eventLoopCPUs: [Int] = []
    /// TCP connect + TLS handshake + SETTINGS must finish within this.
    public var connectTimeout: Duration
    /// Ping an idle connection after this long; 0 disables health-checking pings.
    public var keepaliveInterval: Duration
    /// A ping unanswered this long marks the connection dead and the endpoint unhealthy.
    public var keepaliveTimeout: Duration
    /// Reconnect and retry pacing.
    public var backoff: Backoff
    /// Attempts per call, first included. Retries happen only when the server certainly did not
    /// process the call, or when the method is idempotent or the call has an idempotency key.
    public var maxAttempts: Int
    /// Timeout for calls whose options give none; `nil` means no deadline.
    public var defaultTimeout: Duration?
    /// Largest frame accepted from servers.
    public var maxFrameSize: Int
    /// Bytes queued on one connection above which senders wait.
    public var maxBufferedBytesPerConnection: Int

    public init(endpoints: [RPCEndpoint], tls: TLSConfiguration, connectionsPerEndpoint: Int = 1,
                eventLoopThreads: Int = 1, connectTimeout: Duration = .seconds(5),
                keepaliveInterval: Duration = .seconds(10), keepaliveTimeout: Duration = .seconds(5),
                backoff: Backoff = Backoff(), maxAttempts: Int = 3, defaultTimeout: Duration? = nil,
                maxFrameSize: Int = 4 * 1024 * 1024 + 1024, maxBufferedBytesPerConnection: Int = 16 * 1024 * 1024) {
        self.endpoints = endpoints
        self.tls = tls
        self.connectionsPerEndpoint = connectionsPerEndpoint
        self.eventLoopThreads = eventLoopThreads
        self.connectTimeout = connectTimeout
        self.keepaliveInterval = keepaliveInterval
        self.keepaliveTimeout = keepaliveTimeout
        self.backoff = backoff
        self.maxAttempts = maxAttempts
        self.defaultTimeout = defaultTimeout
        self.maxFrameSize = maxFrameSize
        self.maxBufferedBytesPerConnection = maxBufferedBytesPerConnection
    }
}
