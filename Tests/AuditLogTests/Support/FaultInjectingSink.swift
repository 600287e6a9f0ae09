// Stands between the log and its real file to fail the way disks fail: ENOSPC or EIO on write,
// a write that lands half its bytes and then fails, EIO from fdatasync, or an fdatasync that
// hangs until the test lets it go. The test flips faults on and off while the log runs.

import AuditLog
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// What the next operations do.
enum InjectedFault: Sendable, Equatable {
    case none
    case failWrites(errno: Int32)
    /// Writes the first half of the bytes, then fails.
    case partialWrite(errno: Int32)
    case failSync(errno: Int32)
    /// fdatasync blocks until the fault is changed.
    case hangSync
}

/// The switchboard a test holds; the sinks it wraps consult it on every call.
final class FaultPlan: Sendable {
    private let state = Mutex<(fault: InjectedFault, writes: Int, syncs: Int)>((.none, 0, 0))

    var fault: InjectedFault {
        get { state.withLock { $0.fault } }
        set { state.withLock { $0.fault = newValue } }
    }
    /// Write and sync attempts seen (including failed ones).
    var attempts: (writes: Int, syncs: Int) { state.withLock { ($0.writes, $0.syncs) } }

    fileprivate func countWrite() -> InjectedFault { state.withLock { $0.writes += 1; return $0.fault } }
    fileprivate func countSync() -> InjectedFault { state.withLock { $0.syncs += 1; return $0.fault } }

    /// A `wrapSink` hook for ``AuditLogOptions``.
    var wrapper: @Sendable (any FileSink) -> any FileSink {
        { inner in FaultInjectingSink(wrapping: inner, plan: self) }
    }
}

/// A ``FileSink`` that injects the faults of a ``FaultPlan``.
final class FaultInjectingSink: FileSink, @unchecked Sendable {
    private let inner: any FileSink
    private let plan: FaultPlan

    init(wrapping inner: any FileSink, plan: FaultPlan) {
        self.inner = inner
        self.plan = plan
    }

    var path: String { inner.path }
    func size() throws -> UInt64 { try inner.size() }
    func read(at offset: UInt64, count: Int) throws -> [UInt8] { try inner.read(at: offset, count: count) }
    func truncate(to size: UInt64) throws { try inner.truncate(to: size) }
    func close() { inner.close() }

    func write(_ bytes: [UInt8], at offset: UInt64) throws {
        switch plan.countWrite() {
        case .failWrites(let code):
            throw AuditError.system("write", path: path, errno: code)
        case .partialWrite(let code):
            try inner.write(Array(bytes.prefix(max(1, bytes.count / 2))), at: offset)
            throw AuditError.system("write", path: path, errno: code)
        default:
            try inner.write(bytes, at: offset)
        }
    }

    func synchronize() throws {
        var fault = plan.countSync()
        while fault == .hangSync {
            usleep(2000)
            fault = plan.fault
        }
        if case .failSync(let code) = fault { throw AuditError.system("fdatasync", path: path, errno: code) }
        try inner.synchronize()
    }
}
