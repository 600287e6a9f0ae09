// The X509_* call sequence that makes and signs one certificate, shared by the CA's own
// self-signed certificate and the leaves it issues.

import COpenSSL

enum CertificateBuilder {
    /// Builds and signs a certificate; `issuer == nil` means self-signed.
    static func build(subjectCN: String, serial: UInt64, subjectKey: TLSPrivateKey, issuer: X509Certificate?,
                      issuerKey: TLSPrivateKey, notBeforeOffset: Int, notAfterOffset: Int,
                      extensions: [(Int32, String)]) throws(TransportError) -> X509Certificate {
        guard let x509 = X509_new() else { throw OpenSSLErrors.error(.pki, "X509_new failed") }
        let certificate = X509Certificate(owning: x509)
        guard X509_set_version(x509, 2) == 1,
              ASN1_INTEGER_set_uint64(X509_get_serialNumber(x509), serial) == 1,
              X509_gmtime_adj(X509_getm_notBefore(x509), notBeforeOffset) != nil,
              X509_gmtime_adj(X509_getm_notAfter(x509), notAfterOffset) != nil,
              X509_set_pubkey(x509, subjectKey.pointer) == 1
        else { throw OpenSSLErrors.error(.pki, "cannot set certificate fields") }
        guard let name = X509_get_subject_name(x509),
              X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, subjectCN, -1, -1, 0) == 1,
              X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, "PersonaHSM development PKI", -1, -1, 0) == 1
        else { throw OpenSSLErrors.error(.pki, "cannot set subject name") }
        let issuerX509 = issuer?.pointer ?? x509
        guard X509_set_issuer_name(x509, X509_get_subject_name(issuerX509)) == 1 else {
            throw OpenSSLErrors.error(.pki, "cannot set issuer name")
        }
        var context = X509V3_CTX()
        X509V3_set_ctx(&context, issuerX509, x509, nil, nil, 0)
        for (nid, value) in extensions {
            guard let ext = X509V3_EXT_conf_nid(nil, &context, nid, value) else {
                throw OpenSSLErrors.error(.pki, "cannot make extension \(nid) = \(value)")
            }
            defer { X509_EXTENSION_free(ext) }
            guard X509_add_ext(x509, ext, -1) == 1 else { throw OpenSSLErrors.error(.pki, "X509_add_ext failed") }
        }
        guard X509_sign(x509, issuerKey.pointer, EVP_sha256()) > 0 else {
            throw OpenSSLErrors.error(.pki, "X509_sign failed")
        }
        return certificate
    }
}
