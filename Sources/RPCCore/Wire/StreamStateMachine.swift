// The life cycle of one stream (docs/PROTOCOL.md §5) as a value type, so the rules — who may send
// what and when, how many requests a unary method takes — are tested without sockets. The
// connection feeds it every frame it sends or receives and acts on what it returns.

/// One call's stream state, seen from the client or from the server.
public struct StreamStateMachine: Hashable, Sendable {
    /// Which end of the stream this machine tracks.
    public enum Role: Hashable, Sendable { case client, server }

    /// What the receiver should do with an inbound message.
    public enum InboundMessageAction: Hashable, Sendable {
        /// Hand the message to the call.
        case deliver
        /// Hand the message to the call; the peer sends nothing more.
        case deliverAndFinishInbound
    }

    public let role: Role
    public let kind: MethodKind
    public private(set) var inboundOpen = true
    public private(set) var outboundOpen = true
    public private(set) var messagesReceived = 0
    public private(set) var messagesSent = 0
    private var streamID: UInt32

    public init(role: Role, kind: MethodKind, streamID: UInt32) {
        self.role = role
        self.kind = kind
        self.streamID = streamID
    }

    /// Both directions are finished (or the stream was cancelled).
    public var isClosed: Bool { !inboundOpen && !outboundOpen }

    /// Whether the client side of this method sends exactly one message.
    private var clientSendsOne: Bool { kind == .unary || kind == .serverStreaming }
    /// Whether the server side of this method sends exactly one message.
    private var serverSendsOne: Bool { kind == .unary || kind == .clientStreaming }
    private var peerSendsOne: Bool { role == .server ? clientSendsOne : serverSendsOne }
    private var localSendsOne: Bool { role == .client ? clientSendsOne : serverSendsOne }

    private func failure(_ code: WireProtocolError.Code, _ message: String) -> WireProtocolError {
        WireProtocolError(code, "stream \(streamID): \(message)", streamID: streamID)
    }

    /// A MESSAGE frame arrived.
    public mutating func receiveMessage(endStream: Bool) throws(WireProtocolError) -> InboundMessageAction {
        guard inboundOpen else { throw failure(.streamClosed, "MESSAGE after the peer finished sending") }
        if peerSendsOne && messagesReceived >= 1 {
            throw failure(.unexpectedFrame, "a \(kind) method takes one message from the \(role == .server ? "client" : "server")")
        }
        messagesReceived += 1
        if endStream {
            inboundOpen = false
            return .deliverAndFinishInbound
        }
        return .deliver
    }

    /// The client half-closed (END from the client, or END_STREAM on CALL_OPEN). Server role only.
    public mutating func receiveHalfClose() throws(WireProtocolError) {
        guard role == .server else { throw failure(.unexpectedFrame, "half-close sent to a client") }
        guard inboundOpen else { throw failure(.streamClosed, "half-close after the client finished sending") }
        inboundOpen = false
        if clientSendsOne && messagesReceived == 0 {
            throw failure(.unexpectedFrame, "a \(kind) method needs one request message before half-close")
        }
    }

    /// The server's END arrived. Client role only; the stream is then closed.
    public mutating func receiveEnd(code: StatusCode) throws(WireProtocolError) {
        guard role == .client else { throw failure(.unexpectedFrame, "END with status sent to a server") }
        guard inboundOpen || outboundOpen else { throw failure(.streamClosed, "second END") }
        if code == .ok && serverSendsOne && messagesReceived == 0 {
            inboundOpen = false
            outboundOpen = false
            throw failure(.unexpectedFrame, "OK status without the \(kind) response message")
        }
        inboundOpen = false
        outboundOpen = false
    }

    /// The local side is about to send a MESSAGE.
    public mutating func sendMessage(endStream: Bool = false) throws(WireProtocolError) {
        guard outboundOpen else { throw failure(.streamClosed, "cannot send after finishing") }
        if localSendsOne && messagesSent >= 1 {
            throw failure(.unexpectedFrame, "a \(kind) method sends one message from the \(role)")
        }
        messagesSent += 1
        if endStream { outboundOpen = false }
    }

    /// The client is about to half-close.
    public mutating func sendHalfClose() throws(WireProtocolError) {
        guard role == .client else { throw failure(.unexpectedFrame, "servers end calls with a status, not a half-close") }
        guard outboundOpen else { throw failure(.streamClosed, "already half-closed") }
        outboundOpen = false
    }

    /// The server is about to send END; the stream is closed afterwards whatever the client still sends.
    public mutating func sendEnd() throws(WireProtocolError) {
        guard role == .server else { throw failure(.unexpectedFrame, "clients cannot send a status") }
        guard outboundOpen else { throw failure(.streamClosed, "END already sent") }
        outboundOpen = false
        inboundOpen = false
    }

    /// CANCEL sent or received, or the deadline passed: nothing more in either direction.
    public mutating func cancel() {
        inboundOpen = false
        outboundOpen = false
    }
}
