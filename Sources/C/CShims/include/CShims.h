// Umbrella for the one shim target: C macros, variadic functions and Linux headers that Swift
// cannot import directly. Each concern has its own header so owners do not collide.
#ifndef CSHIMS_H
#define CSHIMS_H
#include "shim_openssl.h"
#include "shim_net.h"
#include "shim_pkcs11.h"
#include "shim_affinity.h"
#include "shim_spawn.h"
#endif
