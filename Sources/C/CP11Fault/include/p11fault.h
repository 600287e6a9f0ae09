// Fault- and latency-injecting PKCS#11 module: wraps a real module (see p11fault.c).
#ifndef P11FAULT_H
#define P11FAULT_H
#include <p11-kit/pkcs11.h>
CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list);
#endif
