// Reads an audit log the way an investigator would: complete JSON lines only (a final line without
// a newline is a torn tail, docs/AUDIT.md §7), so tests can look up the record of a call, e.g.
// by the `signature_sha256` a client can compute from the signature it received.

import Foundation

/// The complete records of an audit log file.
struct AuditFile {
    let records: [[String: Any]]
    /// Bytes after the last newline (a torn tail), if any.
    let tail: [UInt8]

    init(path: String) throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let end = (bytes.lastIndex(of: 0x0A).map { $0 + 1 }) ?? 0
        tail = Array(bytes[end...])
        records = bytes[..<end].split(separator: 0x0A).compactMap {
            try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any]
        }
    }

    /// Call records, optionally only those of `method` (the short name, e.g. `SigningService/Sign`).
    func calls(method: String? = nil) -> [[String: Any]] {
        records.filter { record in
            record["type"] as? String == "call"
                && (method.map { (record["method"] as? String)?.hasSuffix($0) == true } ?? true)
        }
    }

    /// The `signature_sha256` values of every record.
    var signatureDigests: Set<String> {
        Set(records.compactMap { ($0["extra"] as? [String: Any])?["signature_sha256"] as? String })
    }

    /// Polls until `predicate` holds for some record (detached records are written asynchronously).
    static func waitFor(path: String, timeout: Duration = .seconds(3),
                        _ predicate: ([String: Any]) -> Bool) async throws -> [String: Any]? {
        let deadline = ContinuousClock.now + timeout
        repeat {
            if let match = try AuditFile(path: path).records.first(where: predicate) { return match }
            try await Task.sleep(for: .milliseconds(20))
        } while ContinuousClock.now < deadline
        return nil
    }
}
