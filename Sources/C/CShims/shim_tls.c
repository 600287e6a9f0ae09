#include "shim_tls.h"
#include <string.h>

int cshim_ssl_ctx_set_proto_versions(SSL_CTX *ctx, int min_version, int max_version) {
    if (!SSL_CTX_set_min_proto_version(ctx, min_version)) return 0;
    return (int)SSL_CTX_set_max_proto_version(ctx, max_version);
}

void cshim_ssl_ctx_set_default_modes(SSL_CTX *ctx) {
    SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
}

int cshim_ssl_set_sni(SSL *ssl, const char *name) { return (int)SSL_set_tlsext_host_name(ssl, name); }

void cshim_bio_mem_set_retry_on_empty(BIO *bio) { BIO_set_mem_eof_return(bio, -1); }

static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
                       unsigned int inlen, void *arg) {
    (void)ssl;
    const unsigned char *wanted = arg;
    unsigned int wanted_len = wanted[0];
    for (unsigned int i = 0; i < inlen;) {
        unsigned int len = in[i];
        if (i + 1 + len > inlen) break;
        if (len == wanted_len && memcmp(in + i + 1, wanted + 1, len) == 0) {
            *out = in + i + 1;
            *outlen = (unsigned char)len;
            return SSL_TLSEXT_ERR_OK;
        }
        i += 1 + len;
    }
    return SSL_TLSEXT_ERR_ALERT_FATAL;
}

void cshim_ssl_ctx_require_alpn(SSL_CTX *ctx, const unsigned char *protocol) {
    SSL_CTX_set_alpn_select_cb(ctx, alpn_select, (void *)protocol);
}

int cshim_general_names_count(const GENERAL_NAMES *names) { return sk_GENERAL_NAME_num(names); }

int cshim_general_name_at(const GENERAL_NAMES *names, int i, int *type, const unsigned char **data, int *len) {
    const GENERAL_NAME *name = sk_GENERAL_NAME_value(names, i);
    if (name == NULL) return 0;
    *type = name->type;
    *data = NULL;
    *len = 0;
    const ASN1_STRING *value = NULL;
    switch (name->type) {
    case GEN_URI: value = name->d.uniformResourceIdentifier; break;
    case GEN_DNS: value = name->d.dNSName; break;
    case GEN_IPADD: value = name->d.iPAddress; break;
    case GEN_EMAIL: value = name->d.rfc822Name; break;
    default: return 1;
    }
    if (value != NULL) {
        *data = ASN1_STRING_get0_data(value);
        *len = ASN1_STRING_length(value);
    }
    return 1;
}

void cshim_general_names_free(GENERAL_NAMES *names) { GENERAL_NAMES_free(names); }

GENERAL_NAMES *cshim_x509_subject_alt_names(X509 *cert) {
    return X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
}
