// Fault- and latency-injecting PKCS#11 module (libp11fault.so). It wraps a real module and, driven
// by a small config file that is re-read whenever it changes, models a network HSM: per-call
// latency, a session limit, and injected CKR_DEVICE_ERROR, CKR_SESSION_HANDLE_INVALID,
// CKR_DEVICE_REMOVED or hangs, globally or per token label. See p11fault.c for the config format.
#ifndef P11FAULT_H
#define P11FAULT_H
#include <p11-kit/pkcs11.h>

/// The module's entry point: a function table that forwards to the wrapped module.
CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list);
#endif
