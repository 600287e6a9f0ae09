// Blocking frame I/O over a pair of pipe file descriptors: the scheduler's worker thread on one
// end, the worker process on the other. Each side is owned by one thread, so no locking; a failed
// read or write means the peer is gone and the channel is dead.

import Glibc

struct FrameChannel {
    let readFD: Int32
    let writeFD: Int32

    struct Closed: Error {}

    func send(_ frame: [UInt8]) throws(Closed) {
        var sent = 0
        while sent < frame.count {
            let n = frame.withUnsafeBytes { write(writeFD, $0.baseAddress! + sent, frame.count - sent) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw Closed() }
            sent += n
        }
    }

    /// Reads one frame; returns its type and body.
    func receive() throws(Closed) -> (FrameType, [UInt8]) {
        var header = [UInt8](repeating: 0, count: 5)
        try readExactly(&header)
        let length = Int(UInt32(header[0]) | UInt32(header[1]) << 8 | UInt32(header[2]) << 16 | UInt32(header[3]) << 24)
        guard length >= 1, length <= maxFrameLength, let type = FrameType(rawValue: header[4]) else { throw Closed() }
        var body = [UInt8](repeating: 0, count: length - 1)
        try readExactly(&body)
        return (type, body)
    }

    private func readExactly(_ buffer: inout [UInt8]) throws(Closed) {
        var got = 0
        let count = buffer.count
        while got < count {
            let n = buffer.withUnsafeMutableBytes { read(readFD, $0.baseAddress! + got, count - got) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw Closed() }
            got += n
        }
    }
}
