// The log's only door to the file system. The writer thread calls these few blocking operations
// and nothing else, so a test can stand between the log and the disk (wrap the real sink) and
// inject ENOSPC, EIO, short writes or hangs exactly where real disks produce them.

#if canImport(Glibc)
import Glibc
#endif

/// Blocking positional I/O on one file. Calls come from one thread at a time (the log's writer,
/// or the opener before the writer starts); implementations need no locking of their own.
public protocol FileSink: AnyObject, Sendable {
    /// The path, for messages and for the torn-tail copy next to it.
    var path: String { get }
    /// Current file size in bytes.
    func size() throws -> UInt64
    /// Up to `count` bytes from `offset`; fewer only at end of file.
    func read(at offset: UInt64, count: Int) throws -> [UInt8]
    /// Writes all of `bytes` at `offset` (retrying short writes); throws if any part fails.
    func write(_ bytes: [UInt8], at offset: UInt64) throws
    /// Makes everything written so far durable (`fdatasync`).
    func synchronize() throws
    /// Cuts the file to `size` bytes.
    func truncate(to size: UInt64) throws
    /// Releases the file. Further calls fail.
    func close()
}

/// A ``FileSink`` over a POSIX file descriptor.
public final class POSIXFileSink: FileSink, @unchecked Sendable {
    public let path: String
    // Only the single thread that drives the sink touches `descriptor` (see FileSink).
    private var descriptor: Int32

    /// Opens (and if `create`, creates) `path` for reading and writing; a newly created file's
    /// directory entry is made durable before this returns.
    public init(path: String, create: Bool = true, readOnly: Bool = false) throws {
        self.path = path
        let existed = access(path, F_OK) == 0
        let flags = (readOnly ? O_RDONLY : O_RDWR) | O_CLOEXEC | (create && !readOnly ? O_CREAT : 0)
        let fd = open(path, flags, 0o640)
        guard fd >= 0 else { throw AuditError.system("open", path: path, errno: errno) }
        descriptor = fd
        if !existed && create && !readOnly {
            try POSIXFileSink.synchronizeDirectory(of: path)
        }
    }

    deinit {
        if descriptor >= 0 { Glibc.close(descriptor) }
    }

    public func size() throws -> UInt64 {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw AuditError.system("fstat", path: path, errno: errno) }
        return UInt64(info.st_size)
    }

    public func read(at offset: UInt64, count: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = out.withUnsafeMutableBytes { buffer in
                pread(descriptor, buffer.baseAddress! + filled, count - filled, off_t(offset) + off_t(filled))
            }
            if got < 0 {
                if errno == EINTR { continue }
                throw AuditError.system("read", path: path, errno: errno)
            }
            if got == 0 { break }
            filled += got
        }
        out.removeLast(count - filled)
        return out
    }

    public func write(_ bytes: [UInt8], at offset: UInt64) throws {
        var written = 0
        while written < bytes.count {
            let done = bytes.withUnsafeBytes { buffer in
                pwrite(descriptor, buffer.baseAddress! + written, bytes.count - written, off_t(offset) + off_t(written))
            }
            if done < 0 {
                if errno == EINTR { continue }
                throw AuditError.system("write", path: path, errno: errno)
            }
            guard done > 0 else { throw AuditError.system("write", path: path, errno: EIO) }
            written += done
        }
    }

    public func synchronize() throws {
        while fdatasync(descriptor) != 0 {
            if errno == EINTR { continue }
            throw AuditError.system("fdatasync", path: path, errno: errno)
        }
    }

    public func truncate(to size: UInt64) throws {
        while ftruncate(descriptor, off_t(size)) != 0 {
            if errno == EINTR { continue }
            throw AuditError.system("ftruncate", path: path, errno: errno)
        }
    }

    public func close() {
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
    }

    /// `fsync`s the directory holding `path`, so a created or renamed entry survives a crash.
    static func synchronizeDirectory(of path: String) throws {
        let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        let fd = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw AuditError.system("open directory", path: directory, errno: errno) }
        defer { Glibc.close(fd) }
        guard fsync(fd) == 0 else { throw AuditError.system("fsync directory", path: directory, errno: errno) }
    }
}
