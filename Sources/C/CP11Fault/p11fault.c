// Placeholder: the HSM issue fills this in.
#include "p11fault.h"
CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list) { (void)list; return CKR_FUNCTION_NOT_SUPPORTED; }
