// SoftHSM2's stand-in for an HSM cluster's partition cloning. SoftHSM2 2.6.1 refuses to wrap
// (C_WrapKey) or unwrap Ed25519 private keys, so wrap/unwrap under a replication key cannot move
// DID keys. What it keeps on disk is already ciphertext: each object file's attributes are
// encrypted under the token key, which is itself stored encrypted under a key derived from the
// user PIN (and one from the SO PIN). A DR token that starts as a copy of the primary's token
// folder holds the same encrypted token key, so copying the encrypted object files makes the
// objects usable there without any key ever being decrypted outside a token. The copy is
// file-by-file (temp file + rename), the `generation` file last, so SoftHSM2 processes using the
// DR folder re-index once the new objects are complete. Token folders listed in `excluding` (the
// shared-state token: its churn must neither slow the key copy nor be replicated) are skipped on
// both sides.

import Dispatch
import Foundation
import Synchronization

/// Mirrors a SoftHSM2 token folder (`directories.tokendir`) into one or more DR folders.
public final class SoftHSMStoreCopy: ClusterReplicator {
    public let source: String
    public let targets: [String]
    /// Token folder names (directly under `source`) left out of the copy.
    public let excluding: Set<String>
    private let lock = Mutex(())

    /// - Parameters:
    ///   - source: the primary cluster's `directories.tokendir`.
    ///   - targets: each DR cluster's `directories.tokendir` (created if missing).
    ///   - excluding: token folder names not to copy (nor remove from the targets).
    public init(source: String, targets: [String], excluding: Set<String> = []) {
        self.source = source
        self.targets = targets
        self.excluding = excluding
    }

    /// The name of the folder under `tokenDir` of the token with `serial` (SoftHSM2 keeps the
    /// serial in clear in each folder's `token.object`), or nil.
    public static func tokenFolder(serial: String, in tokenDir: String) -> String? {
        let needle = Array(serial.utf8)
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: tokenDir)) ?? []
        return entries.sorted().first { entry in
            guard let data = FileManager.default.contents(atPath: tokenDir + "/" + entry + "/token.object") else {
                return false
            }
            return Array(data).firstRange(of: needle) != nil
        }
    }

    /// Relative paths under `root`, excluded token folders left out (and never descended into).
    private func relativePaths(under root: String) -> [String]? {
        let fm = FileManager.default
        guard let top = try? fm.contentsOfDirectory(atPath: root) else { return nil }
        var paths: [String] = []
        for name in top where !excluding.contains(name) {
            paths.append(name)
            var isDirectory: ObjCBool = false
            if fm.fileExists(atPath: root + "/" + name, isDirectory: &isDirectory), isDirectory.boolValue {
                paths += ((fm.enumerator(atPath: root + "/" + name)?.allObjects as? [String]) ?? []).map { name + "/" + $0 }
            }
        }
        return paths
    }

    public var summary: String { "softhsm-store-copy \(source) -> \(targets.joined(separator: ","))" }

    public func replicate() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            // File I/O: off the cooperative pool.
            DispatchQueue.global().async { [self] in
                do {
                    try lock.withLock { _ in try self.copyAll() }
                    continuation.resume()
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    /// Synchronous form, for start-up before anything else runs.
    public func replicateNow() throws {
        try lock.withLock { _ in try copyAll() }
    }

    /// Files written or removed by the last run (tests and logs).
    public var lastCopiedFiles: Int { copiedFiles.load(ordering: .relaxed) }
    private let copiedFiles = Atomic<Int>(0)

    private func copyAll() throws {
        var copied = 0
        for target in targets { copied += try mirror(into: target) }
        copiedFiles.store(copied, ordering: .relaxed)
    }

    /// Makes `target` equal to `source` (lock files excepted). Returns the files written.
    private func mirror(into target: String) throws -> Int {
        let fm = FileManager.default
        guard let entries = relativePaths(under: source) else {
            throw KeyRegistryError(.unavailable, "replication source \(source) is unreadable")
        }
        var written = 0
        var generations: [String] = []
        var wanted = Set<String>()
        for relative in entries.sorted() {
            let from = source + "/" + relative, to = target + "/" + relative
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: from, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                try createDirectory(to)
                wanted.insert(relative)
                continue
            }
            if relative.hasSuffix(".lock") { continue }
            wanted.insert(relative)
            if (relative as NSString).lastPathComponent == "generation" {
                generations.append(relative)
                continue
            }
            if try copyIfChanged(from: from, to: to) { written += 1 }
        }
        for relative in generations where try copyIfChanged(from: source + "/" + relative, to: target + "/" + relative) {
            written += 1
        }
        // Objects destroyed on the primary go from the copy too (deepest paths first).
        let existing = relativePaths(under: target) ?? []
        for relative in existing.sorted(by: >) where !wanted.contains(relative) && !relative.hasSuffix(".lock")
            && !relative.contains(".replicating.") {
            try? fm.removeItem(atPath: target + "/" + relative)
            written += 1
        }
        return written
    }

    private func createDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw KeyRegistryError(.unavailable, "cannot create replication folder \(path): \(error)")
        }
    }

    private func copyIfChanged(from: String, to: String) throws -> Bool {
        guard let bytes = FileManager.default.contents(atPath: from) else {
            return false  // removed on the primary meanwhile: the next run sees it gone
        }
        if let current = FileManager.default.contents(atPath: to), current == bytes { return false }
        let temporary = to + ".replicating.\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: bytes, attributes: [.posixPermissions: 0o600]),
              rename(temporary, to) == 0 else {
            throw KeyRegistryError(.unavailable, "cannot replicate \(from) to \(to)")
        }
        return true
    }
}
