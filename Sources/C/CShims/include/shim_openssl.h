// OpenSSL macros (SSL_CTX_set_min_proto_version, OPENSSL_free, ...) as real functions.
#ifndef SHIM_OPENSSL_H
#define SHIM_OPENSSL_H
#include <openssl/ssl.h>
#include <openssl/evp.h>

/// Frees memory allocated by OpenSSL (OPENSSL_free is a macro).
void cshim_openssl_free(void *ptr);
#endif
