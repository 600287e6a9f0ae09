// The rules a log must satisfy, checked one line at a time: sequence numbers count up from 1,
// each record's prev is the previous record's hash, each line is the exact canonical encoding of
// what it says, each hash is right, and each checkpoint covers a real earlier (seq, hash). Opening
// a log and `personahsm audit verify` share these rules so they can never disagree; only the
// verifier additionally checks checkpoint signatures (the writer has no verification key).

/// Validates a log's records in order.
struct AuditChainValidator {
    /// Why a record is broken.
    struct Break: Error, Hashable, Sendable {
        /// The record's sequence number if it could be read, else the one expected at that place.
        var seq: UInt64
        var reason: String
    }

    /// How far back a checkpoint may point. The writer re-signs a checkpoint that would lag
    /// more (``AuditLog`` keeps the lag far below this).
    static let checkpointLookback = 1 << 17

    private(set) var lastSeq: UInt64 = 0
    private(set) var lastHash: [UInt8] = AuditRecord.genesisHash
    /// Hashes of the last `checkpointLookback` records, by `seq % checkpointLookback`.
    private var recentHashes = [UInt8](repeating: 0, count: checkpointLookback * 32)

    /// Checks the next line (without its newline). `signatureIsValid` checks checkpoint signatures
    /// (`nil` skips that check).
    mutating func accept(_ line: ArraySlice<UInt8>,
                         signatureIsValid: ((AuditCheckpoint) -> Bool)? = nil) -> Result<AuditRecord, Break> {
        let expectedSeq = lastSeq + 1
        let record: AuditRecord
        do {
            record = try AuditLineParser.parse(line)
        } catch {
            return .failure(Break(seq: expectedSeq, reason: "unreadable record: \(error.message)"))
        }
        guard record.seq == expectedSeq else {
            return .failure(Break(seq: record.seq, reason: "expected seq \(expectedSeq), found \(record.seq) "
                + "(a record is missing, duplicated or out of order)"))
        }
        guard record.prev == lastHash else {
            let expected = lastSeq == 0 ? "64 zeros (the first record)" : "the hash of record \(lastSeq)"
            return .failure(Break(seq: record.seq, reason: "prev is not \(expected)"))
        }
        guard record.line.dropLast().elementsEqual(line) else {
            return .failure(Break(seq: record.seq, reason: "line is not in canonical form (docs/AUDIT.md)"))
        }
        guard record.expectedHash == record.hash else {
            return .failure(Break(seq: record.seq, reason: "hash does not match the record's contents"))
        }
        if case .checkpoint(let checkpoint) = record.body {
            if let reason = checkCoverage(checkpoint) { return .failure(Break(seq: record.seq, reason: reason)) }
            if let signatureIsValid, !signatureIsValid(checkpoint) {
                return .failure(Break(seq: record.seq, reason: "checkpoint signature is not valid for key "
                    + "\(checkpoint.keyName) version \(checkpoint.keyVersion)"))
            }
        }
        lastSeq = record.seq
        lastHash = record.hash
        let slot = Int(record.seq % UInt64(AuditChainValidator.checkpointLookback)) * 32
        recentHashes.replaceSubrange(slot..<slot + 32, with: record.hash)
        return .success(record)
    }

    private func checkCoverage(_ checkpoint: AuditCheckpoint) -> String? {
        guard checkpoint.coveredSeq >= 1, checkpoint.coveredSeq <= lastSeq else {
            return "checkpoint covers seq \(checkpoint.coveredSeq), which is not an earlier record"
        }
        guard lastSeq - checkpoint.coveredSeq < UInt64(AuditChainValidator.checkpointLookback) else {
            return "checkpoint covers seq \(checkpoint.coveredSeq), more than "
                + "\(AuditChainValidator.checkpointLookback) records back"
        }
        let slot = Int(checkpoint.coveredSeq % UInt64(AuditChainValidator.checkpointLookback)) * 32
        guard recentHashes[slot..<slot + 32].elementsEqual(checkpoint.coveredHash) else {
            return "checkpoint covers_hash does not match the hash of record \(checkpoint.coveredSeq)"
        }
        return nil
    }
}
