// TLS and X.509 macros of OpenSSL 3 that Swift cannot import (they are #defines over SSL_ctrl,
// BIO_ctrl, or STACK_OF helpers), wrapped as one-line functions for RPCTransport.
#ifndef SHIM_TLS_H
#define SHIM_TLS_H
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/// SSL_CTX_set_min_proto_version / SSL_CTX_set_max_proto_version.
int cshim_ssl_ctx_set_proto_versions(SSL_CTX *ctx, int min_version, int max_version);
/// SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS).
void cshim_ssl_ctx_set_default_modes(SSL_CTX *ctx);
/// SSL_set_tlsext_host_name (SNI).
int cshim_ssl_set_sni(SSL *ssl, const char *name);
/// BIO_set_mem_eof_return(bio, -1): an empty memory BIO means "retry", not end of stream.
void cshim_bio_mem_set_retry_on_empty(BIO *bio);
/// Installs an ALPN selector on a server context that accepts only `protocol` (wire format:
/// length byte then name); the handshake fails with no_application_protocol otherwise.
/// `protocol` must stay valid as long as the context (its owner keeps it).
void cshim_ssl_ctx_require_alpn(SSL_CTX *ctx, const unsigned char *protocol);
/// The SAN entry at index `i` of `names`: writes type (GEN_URI/GEN_DNS/GEN_IPADD/other) and data.
int cshim_general_name_at(const GENERAL_NAMES *names, int i, int *type, const unsigned char **data, int *len);
int cshim_general_names_count(const GENERAL_NAMES *names);
void cshim_general_names_free(GENERAL_NAMES *names);
/// X509_get_ext_d2i for the subjectAltName extension (NULL when absent).
GENERAL_NAMES *cshim_x509_subject_alt_names(X509 *cert);
#endif
