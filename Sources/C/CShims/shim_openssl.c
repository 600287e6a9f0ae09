#include "shim_openssl.h"
#include <openssl/crypto.h>

void cshim_openssl_free(void *ptr) { OPENSSL_free(ptr); }

long cshim_bio_get_mem_data(BIO *bio, char **data) { return BIO_get_mem_data(bio, data); }
