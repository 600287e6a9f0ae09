// PKCS#11 v2.40 types and constants from p11-kit's header (libp11-kit-dev). We never link a
// module: PKCS11 dlopens one and calls through C_GetFunctionList, so no link line here.
#include <p11-kit/pkcs11.h>
