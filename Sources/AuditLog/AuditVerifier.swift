// `personahsm audit verify <log>`: walks a log front to back with the same rules the writer's
// open uses, plus checkpoint signatures, and reports the first broken record exactly (line,
// seq, reason) rather than a yes/no, because whoever reads the report must find the tampering.
// A torn tail (final line without newline) is reported but is not a break: see docs/AUDIT.md.

/// Verifies audit logs.
public enum AuditVerifier {
    /// Verifies the log at `path`.
    /// - Parameter verifier: checks checkpoint signatures; `nil` checks the chain only (the
    ///   report then says signatures were not checked).
    /// - Throws: ``AuditError`` with ``AuditError/Code/io`` if the file cannot be read; a broken
    ///   log is a report, not an error.
    public static func verify(path: String, verifier: (any CheckpointVerifier)?) throws -> AuditVerificationReport {
        let sink = try POSIXFileSink(path: path, create: false, readOnly: true)
        defer { sink.close() }
        return try verify(sink: sink, verifier: verifier)
    }

    /// Verifies the log readable through `sink`.
    public static func verify(sink: any FileSink, verifier: (any CheckpointVerifier)?) throws -> AuditVerificationReport {
        var report = AuditVerificationReport(path: sink.path, signaturesChecked: verifier != nil)
        var reader = AuditLineReader(sink: sink)
        var validator = AuditChainValidator()
        let checkSignature: ((AuditCheckpoint) -> Bool)? = verifier.map { verifier in
            { checkpoint in
                verifier.verify(signature: checkpoint.signature, message: checkpoint.signedMessage,
                                keyName: checkpoint.keyName, keyVersion: checkpoint.keyVersion)
            }
        }
        var linesRead = 0
        var offset: UInt64 = 0
        while true {
            let next: AuditLineReader.Line?
            do {
                next = try reader.next()
            } catch let error as AuditError where error.code == .corrupt {
                report.firstBroken = .init(seq: validator.lastSeq + 1, line: linesRead + 1, offset: offset,
                                           reason: error.message)
                break
            }
            guard let line = next else { break }
            linesRead = line.number
            offset = line.offset
            guard line.isTerminated else {
                report.tornTail = .init(line: line.number, offset: line.offset, byteCount: line.bytes.count)
                break
            }
            switch validator.accept(line.bytes, signatureIsValid: checkSignature) {
            case .success(let record):
                report.count(record)
                offset = line.offset + UInt64(line.bytes.count) + 1
            case .failure(let broken):
                report.firstBroken = .init(seq: broken.seq, line: line.number, offset: line.offset, reason: broken.reason)
            }
            if report.firstBroken != nil { break }
        }
        return report
    }
}
