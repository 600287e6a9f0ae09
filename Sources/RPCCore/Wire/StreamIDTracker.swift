// Connection-level stream bookkeeping on the accepting side (docs/PROTOCOL.md §5.1): stream ids
// only grow, a connection has a cap on open streams, and after GOAWAY nothing new is accepted.
// Separated from the connection so the rules are tested as plain values.

/// Decides whether a new stream may open and what a frame's stream id refers to.
public struct StreamIDTracker: Hashable, Sendable {
    /// What a non-CALL_OPEN frame's stream id refers to.
    public enum Lookup: Hashable, Sendable {
        case active
        /// Opened earlier and finished since; late frames are answered, not fatal.
        case closed
        /// Never opened: a protocol error.
        case neverOpened
    }

    /// How a CALL_OPEN is answered.
    public enum OpenDecision: Hashable, Sendable {
        case accept
        /// The stream is refused with this status; the connection stays up.
        case refuse(RPCError)
    }

    public private(set) var highestOpened: UInt32 = 0
    /// After GOAWAY, the last stream id accepted; `nil` while accepting.
    public private(set) var drainingAfter: UInt32?
    public var maxConcurrentStreams: Int

    public init(maxConcurrentStreams: Int) {
        self.maxConcurrentStreams = maxConcurrentStreams
    }

    /// A CALL_OPEN arrived for `id` while `activeCount` streams are open.
    /// - Throws: ``WireProtocolError`` when `id` is 0 or not above every earlier id (fatal to the connection).
    public mutating func open(_ id: UInt32, activeCount: Int) throws(WireProtocolError) -> OpenDecision {
        guard id != 0 else { throw WireProtocolError(.unexpectedFrame, "CALL_OPEN on stream 0") }
        guard id > highestOpened else {
            throw WireProtocolError(.unexpectedFrame,
                                    "CALL_OPEN for stream \(id), not above the last opened stream \(highestOpened)",
                                    streamID: id)
        }
        highestOpened = id
        if let drainingAfter, id > drainingAfter {
            return .refuse(RPCError(.unavailable, "server is shutting down; stream \(id) was not processed",
                                    details: ErrorDetails(reason: "GOAWAY")))
        }
        if activeCount >= maxConcurrentStreams {
            return .refuse(RPCError(.resourceExhausted,
                                    "too many concurrent streams (limit \(maxConcurrentStreams)); stream \(id) refused",
                                    details: ErrorDetails(reason: "TOO_MANY_STREAMS")))
        }
        return .accept
    }

    /// Classifies a frame for stream `id` given whether the connection has it open.
    public func lookup(_ id: UInt32, isActive: Bool) -> Lookup {
        if isActive { return .active }
        return id != 0 && id <= highestOpened ? .closed : .neverOpened
    }

    /// Starts draining: streams above the current highest are refused from now on.
    /// - Returns: the last stream id that will be processed (for the GOAWAY frame).
    public mutating func beginDrain() -> UInt32 {
        if drainingAfter == nil { drainingAfter = highestOpened }
        return drainingAfter ?? highestOpened
    }
}
