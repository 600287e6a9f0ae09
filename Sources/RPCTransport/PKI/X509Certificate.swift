// Owner of one X.509 certificate (X509*) with the few read accessors tests, the PKI and peer
// identification need: serial, names, validity, fingerprint, PEM.

import COpenSSL
import CShims
import RPCCore

/// An X.509 certificate, owned by this object.
public final class X509Certificate: @unchecked Sendable {
    // Immutable after init (the PKI finishes building before wrapping); safe to read concurrently.
    let pointer: OpaquePointer

    init(owning pointer: OpaquePointer) { self.pointer = pointer }

    deinit { X509_free(pointer) }

    /// Parses the first certificate of a PEM document.
    public convenience init(pem: [UInt8]) throws(TransportError) {
        let bio = try MemoryBIO(bytes: pem)
        guard let x509 = PEM_read_bio_X509(bio.pointer, nil, nil, nil) else {
            throw OpenSSLErrors.error(.credentials, "cannot parse PEM certificate")
        }
        self.init(owning: x509)
    }

    /// The certificate as PEM.
    public func pemBytes() throws(TransportError) -> [UInt8] {
        let bio = try MemoryBIO()
        guard PEM_write_bio_X509(bio.pointer, pointer) == 1 else {
            throw OpenSSLErrors.error(.pki, "PEM_write_bio_X509 failed")
        }
        return bio.readAll()
    }

    /// The serial number (our PKI issues 63-bit serials).
    public var serialNumber: UInt64 {
        var value: UInt64 = 0
        _ = ASN1_INTEGER_get_uint64(&value, X509_get_serialNumber(pointer))
        return value
    }

    /// The subject's common name, if present.
    public var commonName: String? {
        guard let subject = X509_get_subject_name(pointer) else { return nil }
        let index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1)
        guard index >= 0, let entry = X509_NAME_get_entry(subject, index),
              let data = X509_NAME_ENTRY_get_data(entry) else { return nil }
        return Self.string(data)
    }

    /// SAN URIs and DNS names in certificate order (IP addresses as dotted text).
    public var subjectAltNames: [String] {
        guard let names = cshim_x509_subject_alt_names(pointer) else { return [] }
        defer { cshim_general_names_free(names) }
        var result: [String] = []
        for index in 0..<cshim_general_names_count(names) {
            var type: Int32 = 0
            var data: UnsafePointer<UInt8>?
            var length: Int32 = 0
            guard cshim_general_name_at(names, index, &type, &data, &length) == 1, let data else { continue }
            let bytes = UnsafeBufferPointer(start: data, count: Int(length))
            switch type {
            case GEN_URI, GEN_DNS: result.append(String(decoding: bytes, as: UTF8.self))
            case GEN_IPADD where length == 4: result.append(bytes.map(String.init).joined(separator: "."))
            default: continue
            }
        }
        return result
    }

    /// SAN entries of the given kinds (GEN_URI, GEN_DNS), in certificate order.
    private func names(ofTypes wanted: Set<Int32>) -> [String] {
        guard let names = cshim_x509_subject_alt_names(pointer) else { return [] }
        defer { cshim_general_names_free(names) }
        var result: [String] = []
        for index in 0..<cshim_general_names_count(names) {
            var type: Int32 = 0
            var data: UnsafePointer<UInt8>?
            var length: Int32 = 0
            guard cshim_general_name_at(names, index, &type, &data, &length) == 1, wanted.contains(type), let data else {
                continue
            }
            result.append(String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self))
        }
        return result
    }

    /// SHA-256 of the DER encoding, lower-case hex.
    public var fingerprintSHA256: String {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        guard X509_digest(pointer, EVP_sha256(), &digest, &length) == 1 else { return "" }
        return digest.prefix(Int(length)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// The identity a server hands to handlers: first SAN URI, else first SAN DNS name, else CN.
    public var peerIdentity: PeerIdentity {
        let cn = commonName
        let name = names(ofTypes: [GEN_URI]).first ?? names(ofTypes: [GEN_DNS]).first ?? cn ?? ""
        return PeerIdentity(name: name, commonName: cn, subjectAltNames: names(ofTypes: [GEN_URI, GEN_DNS]),
                            fingerprintSHA256: fingerprintSHA256)
    }

    private static func string(_ asn1: UnsafeMutablePointer<ASN1_STRING>) -> String? {
        guard let data = ASN1_STRING_get0_data(asn1) else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(ASN1_STRING_length(asn1))), as: UTF8.self)
    }
}
