// The bundle `personahsm admin backup` writes. Layout (all integers big-endian):
//
//   "PHSMBK1\n" | u32 header length | header (JSON, readable) | 12-byte IV | 16-byte tag | ciphertext
//
// The header says what the bundle is (kind, keys, source partition, sealing key) so an operator can
// inspect it without the vault; the ciphertext is the payload (registry metadata and the partition's
// encrypted object files) under AES-256-GCM in the vault, with everything before the IV as
// associated data.

import Foundation
import PKCS11

/// The readable part of a bundle.
public struct BundleHeader: Codable, Hashable, Sendable {
    /// `backup` or `escrow`.
    public var kind: String
    public var createdMillis: Int64
    /// The node the keys were read from.
    public var sourceNode: String
    /// Serial number of the token whose object files the payload carries.
    public var partitionSerial: String
    /// The vault key that sealed the payload.
    public var sealKeyLabel: String
    /// Key names in the bundle, sorted.
    public var keys: [String]
}

/// The sealed part of a bundle.
struct BundlePayload: Codable {
    /// Registry metadata (KeyRecord JSON) by key name.
    var metadata: [String: Data]
    /// The source partition's object files by file name, as the token stores them (private and
    /// secret key values encrypted under the token's key).
    var partitionFiles: [String: Data]
    /// The keys the token could wrap, for restores into another partition.
    var wrapped: WrappedMaterial?
}

/// A parsed bundle.
public struct BackupBundle: Sendable {
    static let magic = Array("PHSMBK1\n".utf8)

    public var header: BundleHeader
    var sealed: GCMSealedBox
    /// The bytes the GCM tag authenticates besides the ciphertext.
    var associatedData: [UInt8]

    init(header: BundleHeader, sealed: GCMSealedBox, associatedData: [UInt8]) {
        self.header = header
        self.sealed = sealed
        self.associatedData = associatedData
    }

    /// The header bytes that will be authenticated (magic, length, JSON).
    static func associatedData(for header: BundleHeader) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = Array(try encoder.encode(header))
        let length = UInt32(json.count)
        return magic + [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
            + json
    }

    /// The bundle's bytes.
    public var serialized: [UInt8] { associatedData + sealed.iv + sealed.tag + sealed.ciphertext }

    /// Parses a bundle without opening it.
    /// - Throws: INVALID_ARGUMENT (`NOT_A_BUNDLE`) for anything that is not a bundle.
    public init(serialized bytes: [UInt8]) throws {
        func notABundle(_ why: String) -> CustodyError {
            CustodyError(.invalidArgument, "not a PersonaHSM backup bundle: \(why)", reason: "NOT_A_BUNDLE")
        }
        guard bytes.count >= Self.magic.count + 4, Array(bytes.prefix(Self.magic.count)) == Self.magic else {
            throw notABundle("wrong magic")
        }
        let lengthBytes = bytes[Self.magic.count..<Self.magic.count + 4]
        let length = lengthBytes.reduce(0) { $0 << 8 | Int($1) }
        let headerStart = Self.magic.count + 4
        guard length > 0, length <= bytes.count - headerStart - 28 else { throw notABundle("truncated") }
        let json = Array(bytes[headerStart..<headerStart + length])
        let header: BundleHeader
        do { header = try JSONDecoder().decode(BundleHeader.self, from: Data(json)) } catch {
            throw notABundle("unreadable header")
        }
        let rest = Array(bytes[(headerStart + length)...])
        self.init(header: header,
                  sealed: GCMSealedBox(iv: Array(rest[0..<12]), ciphertext: Array(rest[28...]), tag: Array(rest[12..<28])),
                  associatedData: Array(bytes[..<(headerStart + length)]))
    }
}
