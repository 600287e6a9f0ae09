// A deliberately dumb client for abuse tests: blocking socket, TLS through the same memory-BIO
// session type, and raw frames (or raw bytes) of the test's choosing. Blocking work runs on its
// own thread (`offPool`) so it never starves Swift's cooperative pool.

import Foundation
import RPCCore
@testable import RPCTransport

/// Runs blocking work on a fresh thread.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A blocking TCP connection to 127.0.0.1.
final class RawSocket: @unchecked Sendable {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            Glibc.close(fd)
            throw TestFailure("connect failed: \(String(cString: strerror(errno)))")
        }
    }

    deinit { Glibc.close(fd) }

    func sendAll(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw TestFailure("send failed: \(String(cString: strerror(errno)))") }
            offset += sent
        }
    }

    /// Up to `max` bytes; `[]` on orderly close; throws on timeout.
    func receive(max: Int = 65536, timeout: Duration = .seconds(5)) throws -> [UInt8] {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let millis = Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        guard poll(&poller, 1, millis) == 1 else { throw TestFailure("receive timed out") }
        var buffer = [UInt8](repeating: 0, count: max)
        let count = buffer.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress, max, 0) }
        if count < 0 { return [] }  // ECONNRESET counts as closed
        return Array(buffer[0..<count])
    }

    /// Whether the peer closes within `timeout`, discarding whatever it sends first.
    func closesWithin(_ timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard let bytes = try? receive(timeout: deadline - .now) else { return false }
            if bytes.isEmpty { return true }
        }
        return false
    }
}

/// A TLS connection that speaks frames chosen by the test.
final class RawTLSClient: @unchecked Sendable {
    let socket: RawSocket
    let tls: TLSSession
    var accumulator = FrameAccumulator()

    init(port: Int, tls configuration: TLSConfiguration) throws {
        socket = try RawSocket(port: port)
        tls = try TLSSession(context: TLSContext(role: .client, configuration: configuration), serverName: "localhost")
        while !(try tls.advanceHandshake()) {
            try pumpOut()
            let bytes = try socket.receive()
            guard !bytes.isEmpty else { throw TestFailure("closed during handshake") }
            bytes.withUnsafeBytes { tls.feedCiphertext($0) }
        }
        try pumpOut()
    }

    private func pumpOut() throws {
        var out: [UInt8] = []
        tls.drainCiphertext(into: &out)
        if !out.isEmpty { try socket.sendAll(out) }
    }

    func send(raw bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try tls.writePlaintext($0) }
        try pumpOut()
    }

    func send(_ frame: Frame) throws { try send(raw: FrameEncoder.encode(frame)) }

    func openCall(_ id: UInt32, method: MethodDescriptor, request: [UInt8]) throws {
        var open: [UInt8] = []
        CallOpen(methodID: method.id).encode(into: &open)
        try send(raw: FrameEncoder.encode(Frame(type: .callOpen, streamID: id, payload: open))
            + FrameEncoder.encode(Frame(type: .message, flags: .endStream, streamID: id, payload: request)))
    }

    /// The next frame, or `nil` when the server closed the connection.
    func nextFrame(timeout: Duration = .seconds(5)) throws -> Frame? {
        var scratch = [UInt8](repeating: 0, count: 65536)
        while true {
            if let frame = try accumulator.nextFrame() { return frame }
            let bytes = try socket.receive(timeout: timeout)
            if bytes.isEmpty { return nil }
            bytes.withUnsafeBytes { tls.feedCiphertext($0) }
            while true {
                let result = try scratch.withUnsafeMutableBytes { try tls.readPlaintext(into: $0) }
                guard case .bytes(let count) = result else {
                    if result == .closed, accumulator.bufferedByteCount == 0 { return nil }
                    break
                }
                accumulator.append(Array(scratch[0..<count]))
            }
        }
    }

    /// The next frame that is not SETTINGS, PING or PONG.
    func nextCallFrame(timeout: Duration = .seconds(5)) throws -> Frame? {
        while let frame = try nextFrame(timeout: timeout) {
            if frame.type == .settings || frame.type == .ping || frame.type == .pong { continue }
            return frame
        }
        return nil
    }
}
