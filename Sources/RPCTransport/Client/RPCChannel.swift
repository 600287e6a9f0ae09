// The client transport behind the generated stubs: async/await calls over pooled, multiplexed
// connections, with deadlines, cancellation and a retry loop that only repeats what is safe to
// repeat (docs/PROTOCOL.md §6).

import Foundation
import RPCCore

/// A client channel to one or more servers.
///
/// Owns its event-loop threads and connections until ``close()``: call it before dropping the
/// channel, or the threads keep running.
public final class RPCChannel: ClientTransport {
    private let configuration: RPCChannelConfiguration
    private let group: EventLoopGroup
    private let pool: ConnectionPool
    private let tls: ReloadableTLSContext

    /// - Throws: ``TransportError`` when the TLS credentials cannot be loaded.
    public init(configuration: RPCChannelConfiguration) throws(TransportError) {
        precondition(!configuration.endpoints.isEmpty, "an RPCChannel needs at least one endpoint")
        signal(SIGPIPE, SIG_IGN)
        self.configuration = configuration
        let tls = try ReloadableTLSContext(role: .client, configuration: configuration.tls)
        self.tls = tls
        group = try EventLoopGroup(threads: configuration.eventLoopThreads, name: "rpc-client",
                                  cpus: configuration.eventLoopCPUs)
        pool = ConnectionPool(configuration: configuration, group: group, tls: tls)
    }

    /// The channel's event loops as task executors, one per loop thread. A task that prefers one
    /// (`group.addTask(executorPreference:)`, `withTaskExecutorPreference`) runs between its calls
    /// on that loop's thread: responses resume it there and its next call starts in place, with
    /// no hop through the global concurrent executor. Such tasks must never block.
    public var taskExecutors: [any TaskExecutor] { group.loops }

    /// Re-reads the client certificate, key and trust roots (file-based credentials). New
    /// connections use them; open ones keep theirs. On failure the old credentials stay.
    /// - Throws: ``TransportError`` describing what could not be loaded.
    public func reloadCredentials() throws(TransportError) {
        try tls.reload()
    }

    private func deadline(for options: CallOptions) -> ContinuousClock.Instant? {
        (options.timeout ?? configuration.defaultTimeout).map { .now + $0 }
    }

    /// Sends one request and awaits its response, retrying when safe.
    /// - Throws: ``RPCError`` with the server's status, DEADLINE_EXCEEDED, CANCELLED or UNAVAILABLE.
    public func unary(_ method: MethodDescriptor, request: [UInt8], options: CallOptions) async throws -> [UInt8] {
        let deadline = deadline(for: options)
        let idempotent = method.isIdempotent || options.idempotencyKey != nil
        var attempt = 0
        while true {
            attempt += 1
            do {
                let connection = try await pool.acquire(deadline: deadline)
                return try await unaryAttempt(on: connection, method, request, options, deadline)
            } catch let failure as CallAttemptFailure {
                guard attempt < configuration.maxAttempts, failure.isRetryable(idempotent: idempotent),
                      let delay = retryDelay(attempt: attempt, failure: failure, deadline: deadline)
                else { throw failure.error }
                do {
                    try await Task.sleep(for: delay)
                } catch {
                    throw RPCError(.cancelled, "call cancelled")
                }
            }
        }
    }

    private func retryDelay(attempt: Int, failure: CallAttemptFailure,
                            deadline: ContinuousClock.Instant?) -> Duration? {
        // A stream refused by GOAWAY goes to another connection at once; anything else backs off.
        let refusedByGoAway = failure.error.details?.reason == "GOAWAY"
        var delay = refusedByGoAway ? .zero : configuration.backoff.delay(afterFailures: attempt)
        if let hint = failure.error.details?.retryAfterMillis, hint > 0 {
            delay = max(delay, .milliseconds(Int64(hint)))
        }
        if let deadline, ContinuousClock.now + delay >= deadline { return nil }
        return delay
    }

    private func unaryAttempt(on connection: ClientConnection, _ method: MethodDescriptor, _ request: [UInt8],
                              _ options: CallOptions, _ deadline: ContinuousClock.Instant?) async throws -> [UInt8] {
        let completion = UnaryCompletion()
        let loop = connection.loop
        if loop.inEventLoop {
            // The caller prefers this loop as its task executor: start the call in place.
            connection.startUnary(completion, method: method, request: request, options: options, deadline: deadline)
        } else {
            loop.execute {
                connection.startUnary(completion, method: method, request: request, options: options, deadline: deadline)
            }
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { completion.wait($0) }
        } onCancel: {
            completion.markCancelled()
            loop.execute { connection.cancelUnary(completion) }
            completion.complete(.failure(CallAttemptFailure(error: RPCError(.cancelled, "call cancelled"),
                                                            mayHaveBeenProcessed: true)))
        }
    }

    /// Opens a streaming call. Opening is retried like an unprocessed unary call; once open, a
    /// stream is never retried.
    public func openStream(_ method: MethodDescriptor, options: CallOptions) async throws -> any RawClientStream {
        let deadline = deadline(for: options)
        var attempt = 0
        while true {
            attempt += 1
            do {
                let connection = try await pool.acquire(deadline: deadline)
                return try await withCheckedThrowingContinuation { continuation in
                    connection.loop.execute {
                        connection.openStream(method: method, options: options, deadline: deadline, continuation)
                    }
                }
            } catch let failure as CallAttemptFailure {
                guard attempt < configuration.maxAttempts, !failure.mayHaveBeenProcessed,
                      failure.isRetryable(idempotent: false),
                      let delay = retryDelay(attempt: attempt, failure: failure, deadline: deadline)
                else { throw failure.error }
                try? await Task.sleep(for: delay)
            }
        }
    }

    /// Closes every connection and stops the channel's threads. Calls in flight fail with UNAVAILABLE.
    public func close() async {
        let connections = pool.close()
        for connection in connections {
            connection.loop.execute { connection.closeAfterFlushing(nil) }
        }
        let group = self.group
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                group.shutdown()
                continuation.resume()
            }
        }
    }
}
