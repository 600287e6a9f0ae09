// Opening an existing log: the whole chain is checked before anything is appended, because
// appending to a broken chain would make later records inherit the break. The one defect the
// opener repairs by itself is a torn tail — a last line with no newline, left when the process
// died mid-write. Such bytes were never acknowledged to anyone (acknowledgement follows the
// fdatasync of the complete batch), so they are moved aside for forensics and cut off, and a
// recovery record says so. Anything else broken stops the open: that needs a human.

#if canImport(Glibc)
import Glibc
#endif

extension AuditLog {
    /// Opens (or creates) the log at `path`, verifies its chain, removes a torn tail (saving it as
    /// `<path>.torn-<UTC time>`), and starts the writer.
    /// - Throws: ``AuditError`` — ``AuditError/Code/corrupt`` if a complete record is broken (run
    ///   `personahsm audit verify` to see it), ``AuditError/Code/io`` if the file cannot be used.
    public static func open(path: String, options: AuditLogOptions = AuditLogOptions()) throws -> AuditLog {
        let file = try POSIXFileSink(path: path)
        let sink = options.wrapSink?(file) ?? file
        let scan = try scan(sink)
        var note: RecoveryNote?
        var head = scan.head
        if let torn = scan.tornTail {
            let copy = try saveTornTail(torn.bytes, logPath: path)
            try sink.truncate(to: torn.offset)
            try sink.synchronize()
            head.offset = torn.offset
            note = RecoveryNote(tornTailBytes: UInt64(torn.bytes.count), tornTailFile: copy)
        }
        let log = AuditLog(sink: sink, options: options, head: head, lastCheckpointSeq: scan.lastCheckpointSeq,
                           recoveryNote: note)
        log.startThreads()
        return log
    }

    /// What a scan of an existing file found.
    struct ScanResult {
        var head: GroupCommitState.ChainHead
        var lastCheckpointSeq: UInt64
        var tornTail: (offset: UInt64, bytes: [UInt8])?
    }

    /// Validates every complete line; the final unterminated line, if any, is the torn tail.
    static func scan(_ sink: any FileSink) throws -> ScanResult {
        var reader = AuditLineReader(sink: sink)
        var validator = AuditChainValidator()
        var result = ScanResult(head: .init(seq: 0, hash: AuditRecord.genesisHash, offset: 0), lastCheckpointSeq: 0)
        while let line = try reader.next() {
            guard line.isTerminated else {
                result.tornTail = (line.offset, Array(line.bytes))
                break
            }
            switch validator.accept(line.bytes) {
            case .success(let record):
                if case .checkpoint = record.body { result.lastCheckpointSeq = record.seq }
                result.head = .init(seq: record.seq, hash: record.hash, offset: line.offset + UInt64(line.bytes.count) + 1)
            case .failure(let broken):
                throw AuditError(.corrupt, "\(sink.path): record at line \(line.number) (seq \(broken.seq)) is broken: "
                    + "\(broken.reason); run `personahsm audit verify` and inspect the log before reopening it")
            }
        }
        return result
    }

    /// Writes the torn bytes to a new file next to the log and makes it durable.
    static func saveTornTail(_ bytes: [UInt8], logPath: String) throws -> String {
        let base = "\(logPath).torn-\(AuditTimestamp.now().compactText)"
        var candidate = base
        var attempt = 0
        while true {
            let fd = Glibc.open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o640)
            if fd >= 0 {
                defer { Glibc.close(fd) }
                var written = 0
                while written < bytes.count {
                    let done = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, bytes.count - written) }
                    if done < 0, errno == EINTR { continue }
                    guard done > 0 else { throw AuditError.system("write", path: candidate, errno: done < 0 ? errno : EIO) }
                    written += done
                }
                guard fsync(fd) == 0 else { throw AuditError.system("fsync", path: candidate, errno: errno) }
                try POSIXFileSink.synchronizeDirectory(of: candidate)
                return candidate
            }
            guard errno == EEXIST, attempt < 100 else { throw AuditError.system("create", path: candidate, errno: errno) }
            attempt += 1
            candidate = "\(base)-\(attempt)"
        }
    }
}
