// Reads the issuance job's input — a JSON Lines file or a folder of .json files — into
// documents with a stable identity. The id joins where the document came from (line number or
// file name) with a digest of its bytes, so a rerun over the same input recognises what it
// already issued, while an edited document (or a shifted line) counts as new work.

import Foundation
import SoftCrypto

/// One unsigned input document.
public struct IssuanceDocument: Sendable {
    /// Stable id: SHA-256 over the source position and the raw bytes (hex, 32 characters).
    public let id: String
    /// Where it came from, for people: `file.jsonl:12` or `folder/name.json`.
    public let source: String
    /// The document as read (one JSON text).
    public let bytes: [UInt8]

    public init(position: String, source: String, bytes: [UInt8]) {
        var hasher = SHA256()
        hasher.update(Array(position.utf8))
        hasher.update([0])
        hasher.update(bytes)
        id = String(hasher.finalize().hexString.prefix(32))
        self.source = source
        self.bytes = bytes
    }
}

/// Loads input documents.
public enum IssuanceInput {
    /// Every document of `path`: a folder (its `*.json` files, sorted by name, not recursive) or a
    /// JSON Lines file (one document per non-blank line).
    ///
    /// - Throws: ``IssuanceError/Code/input`` when the path cannot be read.
    public static func load(_ path: String) throws -> [IssuanceDocument] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw IssuanceError(.input, "no such file or folder: \(path)")
        }
        return isFolder.boolValue ? try loadFolder(path) : try loadJSONLines(path)
    }

    static func loadJSONLines(_ path: String) throws -> [IssuanceDocument] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw IssuanceError(.input, "cannot read \(path)")
        }
        let name = URL(fileURLWithPath: path).lastPathComponent
        var documents: [IssuanceDocument] = []
        var lineNumber = 0
        data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            var start = 0
            while start < bytes.count {
                let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
                lineNumber += 1
                var line = Array(bytes[start..<end])
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                if line.contains(where: { !isJSONSpace($0) }) {
                    documents.append(IssuanceDocument(position: "L\(lineNumber)", source: "\(name):\(lineNumber)", bytes: line))
                }
                start = end + 1
            }
        }
        return documents
    }

    static func loadFolder(_ path: String) throws -> [IssuanceDocument] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".json") }.sorted()
        } catch {
            throw IssuanceError(.input, "cannot list \(path)", cause: error)
        }
        let folder = URL(fileURLWithPath: path).lastPathComponent
        return try names.map { name in
            guard let data = FileManager.default.contents(atPath: "\(path)/\(name)") else {
                throw IssuanceError(.input, "cannot read \(path)/\(name)")
            }
            return IssuanceDocument(position: "F\(name)", source: "\(folder)/\(name)", bytes: Array(data))
        }
    }

    static func isJSONSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }
}
