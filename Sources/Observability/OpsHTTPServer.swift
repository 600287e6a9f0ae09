// The local operations port: GET /metrics (Prometheus text), /healthz (process alive) and
// /readyz (able to serve; degraded is reported). Plain HTTP/1.1 on a loopback address, one
// short request per connection: an accept thread hands each connection to its own short-lived thread, so a
// client that connects and stays silent delays nobody else, and at most `maxConnections` are
// served at once. Scrapes are rare and tiny, so this stays out of the RPC event loop entirely.

import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Readiness as /readyz reports it.
public enum Readiness: Sendable, Equatable {
    case ready
    /// Serving, but read-only or with reduced capacity; /readyz answers 200 with the reason.
    case degraded(String)
    /// Not serving; /readyz answers 503.
    case notReady(String)
}

/// A minimal HTTP server for metrics and health probes.
public final class OpsHTTPServer: Sendable {
    private let listenFD: Int32
    /// The bound port (useful when started on port 0).
    public let port: UInt16
    private let metrics: MetricsRegistry
    private let readiness: @Sendable () -> Readiness
    private let stopped = Atomic<Bool>(false)
    private let active = Atomic<Int>(0)
    /// Connections served at once; more are closed at once.
    static let maxConnections = 32

    /// Binds `host:port` and starts serving on a background thread.
    public init(host: String = "127.0.0.1", port: UInt16, metrics: MetricsRegistry,
                readiness: @escaping @Sendable () -> Readiness) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw OpsHTTPError("socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            close(fd)
            throw OpsHTTPError("not an IPv4 address: \(host)")
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw OpsHTTPError("cannot listen on \(host):\(port): \(message)")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listenFD = fd
        self.port = UInt16(bigEndian: actual.sin_port)
        self.metrics = metrics
        self.readiness = readiness
        let thread = Thread { [self] in self.acceptLoop() }
        thread.name = "ops-http"
        thread.start()
    }

    /// Stops accepting; the listening socket is closed.
    public func stop() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        shutdown(listenFD, Int32(SHUT_RDWR))
        close(listenFD)
    }

    private func acceptLoop() {
        while !stopped.load(ordering: .acquiring) {
            let client = accept(listenFD, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            guard active.add(1, ordering: .relaxed).newValue <= Self.maxConnections else {
                active.subtract(1, ordering: .relaxed)
                close(client)
                continue
            }
            var timeout = timeval(tv_sec: 2, tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            // A thread per connection (at most maxConnections): GCD's pool on Linux is too
            // narrow to hold several blocking reads without queueing the next scrape behind them.
            let worker = Thread { [self] in
                serve(client)
                close(client)
                active.subtract(1, ordering: .relaxed)
            }
            worker.name = "ops-http-conn"
            worker.start()
        }
    }

    private func serve(_ client: Int32) {
        var request = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 2048)
        while request.count < 8192 {
            let count = buffer.withUnsafeMutableBytes { read(client, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            request.append(contentsOf: buffer[..<count])
            if request.count >= 4, request.suffix(4).elementsEqual([13, 10, 13, 10]) { break }
        }
        let line = String(decoding: request.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self)
        let parts = line.split(separator: " ")
        let (status, body, type) = route(method: parts.first.map(String.init) ?? "",
                                         path: parts.count > 1 ? String(parts[1]) : "")
        let head = "HTTP/1.1 \(status)\r\nContent-Type: \(type)\r\nContent-Length: \(body.utf8.count)\r\n"
            + "Connection: close\r\n\r\n"
        let bytes = Array((head + body).utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written <= 0 { return }
            offset += written
        }
    }

    func route(method: String, path: String) -> (String, String, String) {
        let text = "text/plain; charset=utf-8"
        guard method == "GET" else { return ("405 Method Not Allowed", "only GET\n", text) }
        switch path.split(separator: "?").first.map(String.init) ?? path {
        case "/metrics": return ("200 OK", metrics.render(), "text/plain; version=0.0.4; charset=utf-8")
        case "/healthz": return ("200 OK", "ok\n", text)
        case "/readyz":
            switch readiness() {
            case .ready: return ("200 OK", "ready\n", text)
            case .degraded(let reason): return ("200 OK", "degraded: \(reason)\n", text)
            case .notReady(let reason): return ("503 Service Unavailable", "not ready: \(reason)\n", text)
            }
        default: return ("404 Not Found", "not found\n", text)
        }
    }
}

/// The ops port could not be opened.
public struct OpsHTTPError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
