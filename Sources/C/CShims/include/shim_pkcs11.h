// PKCS#11 helpers that are awkward from Swift (none yet beyond the header).
#ifndef SHIM_PKCS11_H
#define SHIM_PKCS11_H
#include <p11-kit/pkcs11.h>
#endif
