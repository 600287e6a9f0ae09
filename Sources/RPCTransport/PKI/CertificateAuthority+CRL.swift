// Certificate revocation lists signed by the development CA, so revocation is tested end to end
// (the server loads the CRL and refuses a revoked client during the handshake).

import COpenSSL

extension CertificateAuthority {
    /// A CRL revoking `serials`, valid from now for `validDays`, as PEM.
    public func revocationList(revoking serials: [UInt64], validDays: Int = 30) throws(TransportError) -> [UInt8] {
        guard let crl = X509_CRL_new() else { throw OpenSSLErrors.error(.pki, "X509_CRL_new failed") }
        defer { X509_CRL_free(crl) }
        guard let now = ASN1_TIME_new() else { throw OpenSSLErrors.error(.pki, "ASN1_TIME_new failed") }
        defer { ASN1_TIME_free(now) }
        guard let next = ASN1_TIME_new() else { throw OpenSSLErrors.error(.pki, "ASN1_TIME_new failed") }
        defer { ASN1_TIME_free(next) }
        guard X509_gmtime_adj(now, -60) != nil, X509_gmtime_adj(next, validDays * 86400) != nil,
              X509_CRL_set_version(crl, 1) == 1,
              X509_CRL_set_issuer_name(crl, X509_get_subject_name(certificate.pointer)) == 1,
              X509_CRL_set1_lastUpdate(crl, now) == 1, X509_CRL_set1_nextUpdate(crl, next) == 1
        else { throw OpenSSLErrors.error(.pki, "cannot set CRL fields") }
        for serial in serials {
            guard let revoked = X509_REVOKED_new() else { throw OpenSSLErrors.error(.pki, "X509_REVOKED_new failed") }
            guard let number = ASN1_INTEGER_new() else {
                X509_REVOKED_free(revoked)
                throw OpenSSLErrors.error(.pki, "ASN1_INTEGER_new failed")
            }
            defer { ASN1_INTEGER_free(number) }
            guard ASN1_INTEGER_set_uint64(number, serial) == 1,
                  X509_REVOKED_set_serialNumber(revoked, number) == 1,
                  X509_REVOKED_set_revocationDate(revoked, now) == 1,
                  X509_CRL_add0_revoked(crl, revoked) == 1
            else {
                X509_REVOKED_free(revoked)
                throw OpenSSLErrors.error(.pki, "cannot add revoked serial \(serial)")
            }
        }
        guard X509_CRL_sort(crl) == 1, X509_CRL_sign(crl, key.pointer, EVP_sha256()) > 0 else {
            throw OpenSSLErrors.error(.pki, "X509_CRL_sign failed")
        }
        let bio = try MemoryBIO()
        guard PEM_write_bio_X509_CRL(bio.pointer, crl) == 1 else {
            throw OpenSSLErrors.error(.pki, "PEM_write_bio_X509_CRL failed")
        }
        return bio.readAll()
    }
}
