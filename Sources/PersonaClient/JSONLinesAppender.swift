// The job's output and rejects files: append-only JSON Lines that survive a crash at any
// moment. Complete lines only ever reach the file in a single write(2) each call (a batch of
// whole lines), files are fsynced periodically and at the end, and on reopening a torn or
// unparsable last line — what a kill -9 or power cut mid-write leaves — is cut off before
// anything new is appended. The ids of the lines already there tell the job what to skip.

import Credentials
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An append-only JSON Lines file opened for resuming.
public final class JSONLinesAppender: @unchecked Sendable {
    // @unchecked: the descriptor is only used by the job's single writer.
    public let path: String
    private let descriptor: Int32
    private var lastSync = ContinuousClock.now
    private var unsynced = false
    /// The `id` member of every complete line found on opening.
    public let existingIDs: Set<String>
    /// Bytes of a torn last line cut off on opening (0 when the file ended cleanly).
    public let droppedTailBytes: Int

    /// Opens (creating) `path`, drops a torn last line and collects the ids already present.
    ///
    /// - Throws: ``IssuanceError/Code/output`` when the file cannot be opened, read or truncated.
    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw IssuanceError(.output, "cannot open \(path): \(String(cString: strerror(errno)))") }
        descriptor = fd
        let contents: [UInt8]
        do {
            contents = Array(try FileHandle(fileDescriptor: fd, closeOnDealloc: false).readToEnd() ?? Data())
        } catch {
            close(fd)
            throw IssuanceError(.output, "cannot read \(path)", cause: error)
        }
        var ids = Set<String>()
        var keep = 0
        var start = 0
        let lastNewline = contents.lastIndex(of: UInt8(ascii: "\n")) ?? -1
        let lastLineStart = contents[..<max(lastNewline, 0)].lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
        while start < contents.count {
            guard let end = contents[start...].firstIndex(of: UInt8(ascii: "\n")) else { break }
            // Lines before the last complete one were followed by another write, so they are
            // whole; only the last complete line needs a full parse to rule out a torn write.
            let line = contents[start..<end]
            guard let id = (start < lastLineStart ? Self.fastID(of: line) : nil) ?? Self.id(of: Array(line)) else { break }
            ids.insert(id)
            start = end + 1
            keep = start
        }
        existingIDs = ids
        droppedTailBytes = contents.count - keep
        if keep < contents.count {
            guard ftruncate(fd, off_t(keep)) == 0 else {
                close(fd)
                throw IssuanceError(.output, "cannot cut the torn tail of \(path): \(String(cString: strerror(errno)))")
            }
        }
        guard lseek(fd, 0, SEEK_END) >= 0 else {
            close(fd)
            throw IssuanceError(.output, "cannot seek in \(path)")
        }
    }

    deinit { close(descriptor) }

    /// The id of a line this job wrote (`{"id":"…",` first), without parsing the rest.
    static func fastID(of line: ArraySlice<UInt8>) -> String? {
        let prefix = Array(#"{"id":""#.utf8)
        guard line.count > prefix.count, line.starts(with: prefix) else { return nil }
        let rest = line.dropFirst(prefix.count)
        guard let quote = rest.firstIndex(of: UInt8(ascii: "\"")),
              rest[..<quote].allSatisfy({ $0 != UInt8(ascii: "\\") }) else { return nil }
        return String(decoding: rest[..<quote], as: UTF8.self)
    }

    static func id(of line: [UInt8]) -> String? {
        guard let value = try? JSONParser.parse(line) else { return nil }
        return value["id"]?.stringValue
    }

    /// Appends complete lines (each must end with a newline) in one write, fsyncing when the last
    /// sync is older than `syncInterval`.
    public func append(_ lines: [UInt8], syncInterval: Duration = .seconds(1)) throws {
        guard !lines.isEmpty else { return }
        var offset = 0
        while offset < lines.count {
            let written = lines.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                throw IssuanceError(.output, "cannot write \(path): \(String(cString: strerror(errno)))")
            }
            offset += written
        }
        unsynced = true
        if ContinuousClock.now - lastSync >= syncInterval { try sync() }
    }

    /// Forces written lines to disk.
    public func sync() throws {
        guard unsynced else { return }
        guard fsync(descriptor) == 0 else {
            throw IssuanceError(.output, "cannot fsync \(path): \(String(cString: strerror(errno)))")
        }
        unsynced = false
        lastSync = .now
    }
}
