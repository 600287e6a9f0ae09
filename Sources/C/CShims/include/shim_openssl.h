// OpenSSL macros (SSL_CTX_set_min_proto_version, OPENSSL_free, BIO_get_mem_data, ...) as real
// functions, because Swift cannot import function-like macros.
#ifndef SHIM_OPENSSL_H
#define SHIM_OPENSSL_H
#include <openssl/ssl.h>
#include <openssl/evp.h>
#include <openssl/bio.h>

/// Frees memory allocated by OpenSSL (OPENSSL_free is a macro).
void cshim_openssl_free(void *ptr);

/// BIO_get_mem_data (a macro over BIO_ctrl): points *data at a memory BIO's contents and returns
/// their length.
long cshim_bio_get_mem_data(BIO *bio, char **data);
#endif
