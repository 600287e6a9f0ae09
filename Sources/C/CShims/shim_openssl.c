#include "shim_openssl.h"
#include <openssl/crypto.h>

void cshim_openssl_free(void *ptr) { OPENSSL_free(ptr); }
