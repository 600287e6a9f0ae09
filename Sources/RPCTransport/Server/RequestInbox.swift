// Request messages of one streaming call, between the connection's loop (producer) and the
// handler task (consumer). Exposed to handlers as the contract's AsyncThrowingStream through its
// unfolding initializer, so the transport sees every consumption: buffered bytes are counted per
// connection, and when handlers fall behind the connection stops reading the socket until they
// catch up (TCP back-pressure instead of unbounded memory).

import RPCCore
import Synchronization

/// Bytes of request messages queued on one connection and not yet taken by handlers.
final class InboundBudget: Sendable {
    let buffered = Atomic<Int>(0)
    let limit: Int
    /// Runs on any thread when consumption brings the total back under half the limit.
    private let onRelief: @Sendable () -> Void

    init(limit: Int, onRelief: @escaping @Sendable () -> Void) {
        self.limit = limit
        self.onRelief = onRelief
    }

    var isOverLimit: Bool { buffered.load(ordering: .relaxed) > limit }

    func add(_ count: Int) { buffered.add(count, ordering: .relaxed) }

    func consume(_ count: Int) {
        let after = buffered.subtract(count, ordering: .relaxed).newValue
        if after + count > limit / 2 && after <= limit / 2 { onRelief() }
    }
}

/// The queue behind one call's request stream.
final class RequestInbox: Sendable {
    private struct State {
        var messages: [[UInt8]] = []
        var head = 0
        var finished = false
        var failure: RPCError?
        var waiter: CheckedContinuation<[UInt8]?, any Error>?
    }

    private enum Step {
        case value([UInt8]?)
        case failure(RPCError)
        case wait
    }

    private let state = Mutex(State())
    private let budget: InboundBudget

    init(budget: InboundBudget) {
        self.budget = budget
    }

    /// The handler-facing stream.
    var stream: RawRequestStream {
        AsyncThrowingStream(unfolding: { [self] in try await next() })
    }

    /// Adds a message (loop thread).
    func push(_ message: [UInt8]) {
        let waiter = state.withLock { state -> CheckedContinuation<[UInt8]?, any Error>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.messages.append(message)
            return nil
        }
        if let waiter {
            waiter.resume(returning: message)
        } else {
            budget.add(message.count)
        }
    }

    /// Ends the stream normally (`nil`) or with an error; idempotent.
    func finish(_ failure: RPCError? = nil) {
        let waiter = state.withLock { state -> CheckedContinuation<[UInt8]?, any Error>? in
            guard !state.finished else { return nil }
            state.finished = true
            state.failure = failure
            defer { state.waiter = nil }
            return state.waiter
        }
        guard let waiter else { return }
        if let failure { waiter.resume(throwing: failure) } else { waiter.resume(returning: nil) }
    }

    private func take(_ state: inout State) -> Step {
        if state.head < state.messages.count {
            let message = state.messages[state.head]
            state.head += 1
            if state.head == state.messages.count {
                state.messages.removeAll(keepingCapacity: true)
                state.head = 0
            }
            return .value(message)
        }
        if let failure = state.failure { return .failure(failure) }
        if state.finished { return .value(nil) }
        return .wait
    }

    private func next() async throws -> [UInt8]? {
        switch state.withLock({ take(&$0) }) {
        case .value(let message):
            if let message { budget.consume(message.count) }
            return message
        case .failure(let error):
            throw error
        case .wait:
            break
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[UInt8]?, any Error>) in
                let step = state.withLock { state -> Step in
                    let step = take(&state)
                    if case .wait = step { state.waiter = continuation }
                    return step
                }
                switch step {
                case .value(let message):
                    if let message { budget.consume(message.count) }
                    continuation.resume(returning: message)
                case .failure(let error):
                    continuation.resume(throwing: error)
                case .wait:
                    break
                }
            }
        } onCancel: {
            finish(RPCError(.cancelled, "call cancelled"))
        }
    }
}
