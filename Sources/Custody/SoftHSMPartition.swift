// SoftHSM2's token folder as a backup medium. SoftHSM2 2.6.1 cannot wrap Ed25519 private keys
// (CKR_KEY_NOT_WRAPPABLE), so for it PersonaHSM backs up the partition the way HSM clusters do:
// the token's object files, in which every private and secret value is already encrypted under the
// token's key (itself encrypted under the PIN-derived key). Those files restore only into the same
// partition (the same token key) or a clone of it. After files are put back, the token's
// `generation` counter is bumped so that every SoftHSM2 instance using the folder re-reads it.

import Foundation
import Glibc

/// Reads and writes a SoftHSM2 token folder.
enum SoftHSMPartition {
    /// The folder of the token with `serial`, found through the SoftHSM2 config `conf`.
    static func folder(serial: String, conf: String?) throws -> String {
        guard let conf, let text = try? String(contentsOfFile: conf, encoding: .utf8) else {
            throw CustodyError(.failedPrecondition, "partition backup needs SoftHSM2 with SOFTHSM2_CONF set",
                               reason: "PARTITION_UNSUPPORTED")
        }
        var tokenDir: String?
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2, parts[0] == "directories.tokendir" { tokenDir = parts[1] }
        }
        guard let tokenDir else {
            throw CustodyError(.failedPrecondition, "\(conf) names no directories.tokendir", reason: "PARTITION_UNSUPPORTED")
        }
        let needle = Array(serial.utf8)
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: tokenDir)) ?? []
        for entry in entries.sorted() {
            let path = tokenDir + "/" + entry
            guard let data = FileManager.default.contents(atPath: path + "/token.object") else { continue }
            if Array(data).firstRange(of: needle) != nil { return path }
        }
        throw CustodyError(.failedPrecondition, "no SoftHSM2 token folder with serial \(serial) under \(tokenDir)",
                           reason: "PARTITION_NOT_FOUND")
    }

    /// Every object file of the partition (not the token's own `token.object`).
    static func objectFiles(in folder: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for entry in try FileManager.default.contentsOfDirectory(atPath: folder)
        where entry.hasSuffix(".object") && entry != "token.object" {
            guard let data = FileManager.default.contents(atPath: folder + "/" + entry) else {
                throw CustodyError(.internal, "cannot read \(folder)/\(entry)", reason: "PARTITION_READ")
            }
            files[entry] = data
        }
        return files
    }

    /// Writes the files the folder lacks (never overwrites one), under fresh names and with lock
    /// files, then bumps the generation.
    /// - Returns: the image names written.
    static func installMissing(_ files: [String: Data], into folder: String) throws -> [String] {
        var written: [String] = []
        let fm = FileManager.default
        for (name, data) in files.sorted(by: { $0.key < $1.key }) {
            guard name.hasSuffix(".object"), name != "token.object", !name.contains("/"), !name.hasPrefix(".") else {
                throw CustodyError(.invalidArgument, "bundle names an unexpected file \(name)", reason: "NOT_A_BUNDLE")
            }
            guard !fm.fileExists(atPath: folder + "/" + name) else { continue }
            // A fresh name: a SoftHSM2 instance that deleted this object still lists its old file
            // name as indexed and would not load a file that reappears under it.
            let fresh = UUID().uuidString.lowercased()
            let path = folder + "/" + fresh + ".object"
            guard fm.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600]) else {
                throw CustodyError(.internal, "cannot write \(path)", reason: "PARTITION_WRITE")
            }
            _ = fm.createFile(atPath: folder + "/" + fresh + ".lock", contents: Data(), attributes: [.posixPermissions: 0o600])
            written.append(name)
        }
        if !written.isEmpty { try bumpGeneration(folder) }
        return written
    }

    /// Adds one to the token's generation counter (8 bytes, big-endian), which SoftHSM2 instances
    /// check before using their index of the folder.
    static func bumpGeneration(_ folder: String) throws {
        let path = folder + "/generation"
        let fd = open(path, O_RDWR | O_CREAT, 0o600)
        guard fd >= 0 else { throw CustodyError(.internal, "cannot open \(path)", reason: "PARTITION_WRITE") }
        defer { close(fd) }
        var lock = flock()
        lock.l_type = Int16(F_WRLCK)
        lock.l_whence = Int16(SEEK_SET)
        _ = fcntl(fd, F_SETLKW, &lock)
        var bytes = [UInt8](repeating: 0, count: 8)
        let got = read(fd, &bytes, 8)
        var value = got == 8 ? bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) } : 0
        value &+= 1
        if value == 0 { value = 1 }
        let out = (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * UInt64($0))) }
        guard lseek(fd, 0, SEEK_SET) == 0, write(fd, out, 8) == 8 else {
            throw CustodyError(.internal, "cannot update \(path)", reason: "PARTITION_WRITE")
        }
        lock.l_type = Int16(F_UNLCK)
        _ = fcntl(fd, F_SETLK, &lock)
    }
}
