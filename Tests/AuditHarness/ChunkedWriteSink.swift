// A slow disk for the crash test: each batch reaches the file in 256-byte pieces with a pause
// between them. A real write(2) of a few pages is rarely interrupted, so without this a SIGKILL
// almost never leaves a torn tail; with it, most kills land mid-batch, as on a slow device.

import AuditLog

#if canImport(Glibc)
import Glibc
#endif

/// Passes everything through, but writes in small, slow pieces.
final class ChunkedWriteSink: FileSink, @unchecked Sendable {
    private let inner: any FileSink

    init(wrapping inner: any FileSink) { self.inner = inner }

    var path: String { inner.path }
    func size() throws -> UInt64 { try inner.size() }
    func read(at offset: UInt64, count: Int) throws -> [UInt8] { try inner.read(at: offset, count: count) }
    func synchronize() throws { try inner.synchronize() }
    func truncate(to size: UInt64) throws { try inner.truncate(to: size) }
    func close() { inner.close() }

    func write(_ bytes: [UInt8], at offset: UInt64) throws {
        var start = 0
        while start < bytes.count {
            let end = min(start + 256, bytes.count)
            try inner.write(Array(bytes[start..<end]), at: offset + UInt64(start))
            start = end
            if start < bytes.count { usleep(200) }
        }
    }
}
