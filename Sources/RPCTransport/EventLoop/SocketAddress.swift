// IPv4/IPv6 socket addresses and the few socket calls the transport makes (listen, accept,
// non-blocking connect), so the connection classes never touch sockaddr layouts.

import CShims
import Foundation

/// A resolved socket address.
struct SocketAddress: Sendable {
    fileprivate var storage = sockaddr_storage()
    fileprivate var length: socklen_t = 0

    var family: Int32 { Int32(storage.ss_family) }

    /// Resolves `host` (a literal, `localhost` or a DNS name) with getaddrinfo. Blocking: call off-loop.
    static func resolve(host: String, port: Int) throws(TransportError) -> SocketAddress {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &result)
        guard status == 0, let first = result else {
            throw TransportError(.connect, "cannot resolve \(host)", cause: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(result) }
        // Prefer IPv4 when both exist: the development PKI names 127.0.0.1.
        var chosen = first
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            if entry.pointee.ai_family == AF_INET { chosen = entry; break }
            cursor = entry.pointee.ai_next
        }
        var address = SocketAddress()
        address.length = chosen.pointee.ai_addrlen
        withUnsafeMutableBytes(of: &address.storage) { target in
            target.copyMemory(from: UnsafeRawBufferPointer(start: chosen.pointee.ai_addr, count: Int(address.length)))
        }
        return address
    }

    func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        withUnsafeBytes(of: storage) { raw in
            body(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), length)
        }
    }
}

enum SocketCalls {
    /// A non-blocking listening socket bound to host:port (port 0: any); returns it and the bound port.
    static func listen(host: String, port: Int, backlog: Int32 = 1024) throws(TransportError) -> (fd: Int32, port: Int) {
        let address = try SocketAddress.resolve(host: host, port: port)
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
                        | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TransportError(.socket, "socket failed", cause: Errno.describe()) }
        _ = cshim_setsockopt_int(fd, SOL_SOCKET, SO_REUSEADDR, 1)
        let bound = address.withSockAddr { bind(fd, $0, $1) }
        guard bound == 0, Glibc.listen(fd, backlog) == 0 else {
            let cause = Errno.describe()
            Glibc.close(fd)
            throw TransportError(.socket, "cannot listen on \(host):\(port)", cause: cause)
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let boundPort = withUnsafeMutablePointer(to: &storage) { pointer -> Int in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &length) }
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
        }
        return (fd, boundPort)
    }

    /// Starts a non-blocking connect; completion is signalled by writability (check ``pendingError``).
    static func startConnect(to address: SocketAddress) throws(TransportError) -> Int32 {
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
                        | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TransportError(.socket, "socket failed", cause: Errno.describe()) }
        _ = cshim_setsockopt_int(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
        let result = address.withSockAddr { connect(fd, $0, $1) }
        if result != 0 && errno != EINPROGRESS {
            let cause = Errno.describe()
            Glibc.close(fd)
            throw TransportError(.connect, "connect failed", cause: cause)
        }
        return fd
    }

    /// SO_ERROR of a socket after a non-blocking connect (0: connected).
    static func pendingError(_ fd: Int32) -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        _ = getsockopt(fd, SOL_SOCKET, SO_ERROR, &value, &length)
        return value
    }

    static func setNoDelay(_ fd: Int32) {
        _ = cshim_setsockopt_int(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
    }
}
