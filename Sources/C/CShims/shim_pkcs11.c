#include "shim_pkcs11.h"
