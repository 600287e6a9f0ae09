// Injected audit-disk faults for the fail-closed tests: wraps the audit log's real file sink and,
// while switched on, makes writes fail with ENOSPC (a full disk) or block (a disk that hangs), the
// two ways a filesystem stops taking the log. Switching off is "space returns".

import AuditLog
import Foundation
import Synchronization

/// What the wrapped disk does now.
final class DiskFaultSwitch: Sendable {
    enum Mode: Int { case healthy = 0, full = 1, hanging = 2 }
    private let raw = Atomic<Int>(0)
    var mode: Mode {
        get { Mode(rawValue: raw.load(ordering: .acquiring)) ?? .healthy }
        set { raw.store(newValue.rawValue, ordering: .releasing) }
    }
}

/// A disk-full or hanging-disk error as the POSIX sink would report it.
struct InjectedDiskError: Error, CustomStringConvertible {
    var description: String { "write: No space left on device (injected ENOSPC)" }
}

/// Passes everything to `base` unless the switch says the disk is full or hanging.
final class DiskFaultSink: FileSink, @unchecked Sendable {
    let base: any FileSink
    let faults: DiskFaultSwitch

    init(base: any FileSink, faults: DiskFaultSwitch) {
        self.base = base
        self.faults = faults
    }

    var path: String { base.path }
    func size() throws -> UInt64 { try base.size() }
    func read(at offset: UInt64, count: Int) throws -> [UInt8] { try base.read(at: offset, count: count) }
    func truncate(to size: UInt64) throws { try base.truncate(to: size) }
    func close() { base.close() }

    func write(_ bytes: [UInt8], at offset: UInt64) throws {
        try obstruct()
        try base.write(bytes, at: offset)
    }

    func synchronize() throws {
        try obstruct()
        try base.synchronize()
    }

    private func obstruct() throws {
        while faults.mode == .hanging { usleep(5_000) }
        if faults.mode == .full { throw InjectedDiskError() }
    }
}
