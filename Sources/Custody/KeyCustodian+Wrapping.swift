// Wrapped key material: what lets a bundle restore into a partition other than its own. At backup
// every key version the token can wrap (CKA_EXTRACTABLE, i.e. created with allow_backup; not
// Ed25519 on SoftHSM2 2.6.1) is wrapped with CKM_AES_KEY_WRAP_PAD under a one-time AES transport
// key made in the source token, and that transport key is wrapped with RSA-OAEP under the vault's
// transport public key. At restore the receiving token makes its own transport key pair, the vault
// re-wraps the transport key for it, and the token unwraps the transport key and then the keys.

import Foundation
import KeyRegistry
import PKCS11

/// One wrapped key object and the attributes to recreate it.
struct WrappedKeyEntry: Codable, Sendable {
    var id: Data
    var label: String
    var objectClass: UInt
    var keyType: UInt
    /// CKA_ENCRYPT, CKA_DECRYPT, CKA_DERIVE, CKA_SIGN, CKA_WRAP, CKA_UNWRAP of the source object.
    var usage: [String: Bool]
    /// The key, wrapped with CKM_AES_KEY_WRAP_PAD under the bundle's transport key.
    var wrapped: Data
    /// Attributes of the public-key object (hex attribute type → value), for key pairs.
    var publicAttributes: [String: Data]?
}

/// The wrapped part of a bundle payload.
struct WrappedMaterial: Codable, Sendable {
    /// The AES transport key, wrapped with RSA-OAEP under the vault's transport public key.
    var transportKey: Data
    var entries: [WrappedKeyEntry]
}

extension KeyCustodian {
    static let usageAttributes: [(String, AttributeType)] = [
        ("encrypt", .encrypt), ("decrypt", .decrypt), ("derive", .derive), ("sign", .sign), ("wrap", .wrap),
        ("unwrap", .unwrap),
    ]

    /// Wraps every extractable object of `wanted` in `session`; keys the token cannot wrap are
    /// left to the partition image. Returns nil when nothing could be wrapped.
    static func wrapMaterial(_ wanted: [([UInt8], ObjectClass)], session: Session, vaultModulus: [UInt8],
                             vaultExponent: [UInt8]) throws -> WrappedMaterial? {
        let transport = try session.generateTransportKey()
        var entries: [WrappedKeyEntry] = []
        for (id, objectClass) in wanted {
            guard let object = try session.findKey(id: id, objectClass: objectClass),
                  try session.boolAttribute(.extractable, of: object) == true,
                  let wrapped = try? session.wrapKey(object, with: transport, mechanism: .aesKeyWrapPad),
                  let keyType = try session.ulongAttribute(.keyType, of: object) else { continue }
            var usage: [String: Bool] = [:]
            for (name, attribute) in usageAttributes {
                if let flag = try session.boolAttribute(attribute, of: object) { usage[name] = flag }
            }
            var publicAttributes: [String: Data]?
            if objectClass == .privateKey, let pub = try session.findKey(id: id, objectClass: .publicKey) {
                var attributes: [String: Data] = [:]
                for type in [AttributeType.ecParams, .ecPoint, .modulus, .publicExponent] {
                    if let value = try session.attribute(type, of: pub) { attributes[String(type.rawValue, radix: 16)] = Data(value) }
                }
                publicAttributes = attributes
            }
            let label = try session.attribute(.label, of: object).map { String(decoding: $0, as: UTF8.self) } ?? ""
            entries.append(WrappedKeyEntry(id: Data(id), label: label, objectClass: objectClass.rawValue, keyType: keyType,
                                           usage: usage, wrapped: Data(wrapped), publicAttributes: publicAttributes))
        }
        guard !entries.isEmpty else { return nil }
        let vaultKey = try session.importTransportPublicKey(modulus: vaultModulus, exponent: vaultExponent)
        return WrappedMaterial(transportKey: Data(try session.wrapKey(transport, with: vaultKey, mechanism: .rsaOAEP)),
                               entries: entries)
    }

    /// Restores `wanted` on `target` from wrapped material (a partition other than the bundle's).
    /// - Throws: FAILED_PRECONDITION before anything is written when some wanted key has no
    ///   wrapped entry (Ed25519 on SoftHSM2, or a key the token could not wrap).
    func restoreWrapped(_ material: WrappedMaterial?, wanted: [([UInt8], ObjectClass)], target: TokenNode,
                        partition: String) async throws {
        let entries = (material?.entries ?? []).filter { entry in
            wanted.contains { $0.0 == Array(entry.id) && $0.1.rawValue == entry.objectClass }
        }
        let missing = wanted.filter { want in !entries.contains { Array($0.id) == want.0 } }
        guard missing.isEmpty, let material else {
            throw CustodyError(.failedPrecondition, "node \(target.name) is not partition \(partition), and "
                               + "\(missing.count) key object(s) of this bundle are not wrapped (Ed25519 on SoftHSM2, or "
                               + "keys the token cannot wrap): those restore only into their own partition or a clone",
                               reason: "WRONG_PARTITION")
        }
        let label = "personahsm-restore-transport-" + UUID().uuidString.lowercased().prefix(8)
        let receiver = try await target.withSession { session -> [[UInt8]] in
            let pair = try session.generateTransportKeyPair(label: label, persistent: true)
            guard let modulus = try session.attribute(.modulus, of: pair.publicKey!),
                  let exponent = try session.attribute(.publicExponent, of: pair.publicKey!) else {
                throw CustodyError(.internal, "transport key without modulus", reason: "TRANSPORT_KEY")
            }
            return [modulus, exponent]
        }
        let forTarget: [UInt8]
        do {
            forTarget = try await vault.rewrap(Array(material.transportKey), modulus: receiver[0], exponent: receiver[1])
        } catch {
            _ = try? await target.withSession { session in
                for object in try session.findObjects(label: label) { try session.destroyObject(object) }
            }
            throw error
        }
        try await target.withSession { session in
            defer {
                for object in (try? session.findObjects(label: label)) ?? [] { try? session.destroyObject(object) }
            }
            guard let privateKey = try session.findObjects([.objectClass(.privateKey), .string(.label, label)]).first else {
                throw CustodyError(.internal, "the restore transport key vanished", reason: "TRANSPORT_KEY")
            }
            let transport = try session.unwrapKey(forTarget, with: privateKey, mechanism: .rsaOAEP, template: [
                .objectClass(.secretKey), .keyType(.aes), .bool(.token, false), .bool(.private, true),
                .bool(.sensitive, true), .bool(.extractable, false), .bool(.unwrap, true), .bool(.wrap, false),
            ])
            for entry in entries {
                let id = Array(entry.id)
                let objectClass = ObjectClass(rawValue: entry.objectClass)
                guard try session.findKey(id: id, objectClass: objectClass) == nil else { continue }
                var template: [Attribute] = [.objectClass(objectClass), .keyType(KeyType(rawValue: entry.keyType)),
                                             .bool(.token, true), .bytes(.id, id), .string(.label, entry.label),
                                             .bool(.private, true), .bool(.sensitive, true), .bool(.extractable, true)]
                for (name, attribute) in Self.usageAttributes { if let flag = entry.usage[name] { template.append(.bool(attribute, flag)) } }
                _ = try session.unwrapKey(Array(entry.wrapped), with: transport, mechanism: .aesKeyWrapPad, template: template)
                if let attributes = entry.publicAttributes, try session.findKey(id: id, objectClass: .publicKey) == nil {
                    var pub: [Attribute] = [.objectClass(.publicKey), .keyType(KeyType(rawValue: entry.keyType)),
                                            .bool(.token, true), .bytes(.id, id), .string(.label, entry.label),
                                            .bool(.private, false), .bool(.verify, true)]
                    for (hex, value) in attributes.sorted(by: { $0.key < $1.key }) {
                        if let type = UInt(hex, radix: 16) { pub.append(Attribute(AttributeType(rawValue: type), bytes: Array(value))) }
                    }
                    _ = try session.createObject(pub)
                }
            }
        }
    }
}
