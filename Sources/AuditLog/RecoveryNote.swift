// What went wrong since the last good write, kept until the log can say so in the log itself.
// A recovery record makes every gap explainable: a reader who sees records end and then resume
// after a recovery record learns how many records were lost, why, and what bytes were cut.

/// Accumulated facts about a failure, written as one `"type":"recovery"` record on recovery.
struct RecoveryNote: Hashable, Sendable {
    var failedWrites = 0
    /// Records that were never written (their awaited callers were told so).
    var droppedRecords = 0
    var timedOutAppends = 0
    /// A torn tail removed when the log was opened.
    var tornTailBytes: UInt64 = 0
    var tornTailFile: String?
    /// The first few distinct reasons, oldest first.
    private(set) var reasons: [String] = []

    mutating func addReason(_ reason: String) {
        if reasons.count < 3, !reasons.contains(reason) { reasons.append(reason) }
    }

    mutating func merge(_ other: RecoveryNote) {
        failedWrites += other.failedWrites
        droppedRecords += other.droppedRecords
        timedOutAppends += other.timedOutAppends
        tornTailBytes += other.tornTailBytes
        tornTailFile = tornTailFile ?? other.tornTailFile
        for reason in other.reasons { addReason(reason) }
    }

    /// The record body, given how many bytes the writer cut back before writing it.
    func body(truncatedBytes: UInt64) -> AuditRecordBody {
        var details: [String: String] = [:]
        var sentences: [String] = []
        if let tornTailFile {
            details["torn_tail_bytes"] = String(tornTailBytes)
            details["torn_tail_file"] = tornTailFile
            sentences.append("log reopened after an unclean stop; a torn final line of \(tornTailBytes) bytes "
                + "was removed and saved")
        }
        if failedWrites > 0 {
            details["failed_writes"] = String(failedWrites)
            sentences.append("\(failedWrites) write attempt(s) failed")
        }
        if timedOutAppends > 0 {
            details["timed_out_appends"] = String(timedOutAppends)
            sentences.append("\(timedOutAppends) append(s) timed out and failed closed")
        }
        if droppedRecords > 0 || failedWrites > 0 {
            details["dropped_records"] = String(droppedRecords)
            sentences.append("\(droppedRecords) record(s) were not written")
        }
        if truncatedBytes > 0 {
            details["truncated_bytes"] = String(truncatedBytes)
            sentences.append("\(truncatedBytes) bytes of an unfinished write were cut")
        }
        for (index, reason) in reasons.enumerated() { details["reason_\(index + 1)"] = reason }
        let message = sentences.isEmpty ? "audit log recovered" : sentences.joined(separator: "; ")
        return .recovery(message: message, details: details)
    }
}
